"""fit_segmentation end to end on small synthetic customer frames: recovery of known
segments, invariances, ids, outliers, the structure verdict, versioning, and scoring from
the parameter tables equal to scikit-learn's own transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.metrics import adjusted_rand_score
from synthetic import FEATURES, blobs, cloud, item_rows, settings

from custseg.segmentation import SegmentationWarning, fit_segmentation
from custseg.segmentation.items import build_item_matrix

ITEMS = ("customer_id", "stock_code", "lines")


def segments_of(fit, frame: pd.DataFrame, items=None) -> np.ndarray:
    scored = fit.predict(frame, items).set_index("customer_id")
    return scored.loc[frame["customer_id"], "segment_id"].to_numpy()


@pytest.mark.parametrize("k", [3, 4])
def test_recovers_separated_blobs_and_rule_picks_true_k(k: int) -> None:
    frame = blobs(n=320, k=k, seed=k)
    fit = fit_segmentation(frame, settings(), source="test")
    assert fit.choice.k == k and not fit.choice.is_fallback
    selection = fit.tables["model_selection"]
    assert selection.loc[selection["is_chosen"], "k"].tolist() == [k]
    assert adjusted_rand_score(frame["truth"], segments_of(fit, frame)) == pytest.approx(1.0)


@pytest.mark.parametrize(("algorithm", "backend"), [("agglomerative", "ward"), ("gmm", "gmm")])
def test_other_algorithms_recover_blobs(algorithm: str, backend: str) -> None:
    frame = blobs(n=240, k=3, seed=1)
    fit = fit_segmentation(frame, settings(algorithm=algorithm), source="test")
    assert fit.choice.k == 3 and fit.backend == backend
    assert adjusted_rand_score(frame["truth"], segments_of(fit, frame)) == pytest.approx(1.0)


def test_row_order_does_not_change_anything() -> None:
    frame = blobs(n=240, k=3, seed=5)
    frame.loc[frame.index[:7], "is_excluded_from_fit"] = True
    first = fit_segmentation(frame, settings(pca_variance=0.9), source="test")
    second = fit_segmentation(
        frame.sample(frac=1.0, random_state=11), settings(pca_variance=0.9), source="test"
    )
    assert first.model_version == second.model_version
    for name, table in first.tables.items():
        pd.testing.assert_frame_equal(table, second.tables[name], obj=name)


def test_a_currency_change_keeps_segments_when_standardised_without_log() -> None:
    frame = blobs(n=240, k=3, seed=2)
    cfg = settings(log1p_features=[])
    base = fit_segmentation(frame, cfg, source="test")
    other = fit_segmentation(frame.assign(spend=frame["spend"] * 1.0873), cfg, source="test")
    assert other.model_version != base.model_version
    np.testing.assert_array_equal(segments_of(base, frame), segments_of(other, frame))
    np.testing.assert_allclose(
        other.tables["centroids"]["center_scaled"], base.tables["centroids"]["center_scaled"], atol=1e-9
    )


def test_excluded_rows_are_scored_with_fitted_fills() -> None:
    frame = blobs(n=240, k=3, seed=3)
    frame.loc[frame.index[:10], "is_excluded_from_fit"] = True
    frame.loc[frame.index[0], "spend"] = 666666.0  # implausible, excluded
    frame.loc[frame.index[1], "visits"] = np.nan  # missing, excluded: filled with the fitted median
    with pytest.warns(SegmentationWarning, match="missing values in excluded rows"):
        fit = fit_segmentation(frame, settings(), source="test")
    scored = fit.predict(frame)
    assert len(scored) == len(frame) and scored["customer_id"].is_monotonic_increasing
    assert scored["segment_id"].notna().all() and (scored["margin_to_next_centroid"] >= 0).all()
    assert fit.n_fitted == 230 and fit.tables["model_segments"]["n_fitted"].sum() == 230
    median = frame.loc[~frame["is_excluded_from_fit"], "visits"].median()
    fills = fit.tables["preprocessing"].set_index("feature")["fill_value"]
    assert fills["visits"] == pytest.approx(median)


def test_outlier_flag_marks_far_customers() -> None:
    frame = blobs(n=300, k=3, seed=4)
    frame.loc[frame.index[0], ["visits", "recency"]] = [60.0, 120.0]
    fit = fit_segmentation(frame, settings(outlier_quantile=0.99), source="test")
    scored = fit.predict(frame).set_index("customer_id")
    assert scored.loc[frame["customer_id"].iloc[0], "is_outlier"]
    assert scored["is_outlier"].mean() < 0.05
    thresholds = fit.tables["model_segments"].set_index("segment_id")["outlier_distance_threshold"]
    expected = scored["distance_to_centroid"] > scored["segment_id"].map(thresholds)
    pd.testing.assert_series_equal(scored["is_outlier"], expected, check_names=False)


def test_segment_ids_follow_the_order_feature_highest_first() -> None:
    frame = blobs(n=240, k=3, seed=6)
    for feature in ["spend", "recency"]:
        fit = fit_segmentation(frame, settings(id_order_feature=feature), source="test")
        values = fit.tables["model_segments"].sort_values("segment_id")["order_value"].to_numpy()
        assert np.all(np.diff(values) < 0)
        means = frame.groupby(segments_of(fit, frame))[feature].mean()
        np.testing.assert_allclose(means.to_numpy(), values)


def test_model_version_changes_with_data_and_flags_only() -> None:
    frame = blobs(n=200, k=3)
    base = fit_segmentation(frame, settings(), source="test").model_version
    assert fit_segmentation(frame.iloc[::-1], settings(), source="test").model_version == base
    changed = frame.copy()
    changed.loc[5, "visits"] += 0.001
    flagged = frame.copy()
    flagged.loc[5, "is_excluded_from_fit"] = True
    versions = {
        base,
        fit_segmentation(changed, settings(), source="test").model_version,
        fit_segmentation(flagged, settings(), source="test").model_version,
    }
    assert len(versions) == 3 and len(base) == 12


def test_features_default_to_the_numeric_columns() -> None:
    frame = blobs(n=200, k=3).drop(columns="truth").assign(note="text", flag=True)
    fit = fit_segmentation(frame, {"log1p_features": ["spend"], "exclude_features": ["share"]}, source="t")
    assert fit.features == ("spend", "visits", "recency")


def test_constant_feature_is_dropped_with_a_warning() -> None:
    frame = blobs(n=200, k=3).assign(share=1.0)
    with pytest.warns(SegmentationWarning, match="constant feature"):
        fit = fit_segmentation(frame, settings(), source="test")
    assert fit.dropped_features == ("share",)
    assert "share" not in fit.tables["preprocessing"]["feature"].tolist()


def test_scoring_from_the_tables_equals_the_fitted_pipelines() -> None:
    frame = blobs(n=300, k=3, seed=8)
    frame.loc[frame.index[:5], "is_excluded_from_fit"] = True
    frame.loc[frame.index[0], "visits"] = np.nan
    items = item_rows(frame)
    for extra in ({}, {"pca_variance": 0.8}, {"scaler": "robust"}):
        cfg = settings(item_pattern={"enabled": True, "n_components": 3}, **extra)
        with pytest.warns(SegmentationWarning):
            fit = fit_segmentation(frame, cfg, source="test", items=items, item_columns=ITEMS)
        ids, points = fit.parameters.model_space(frame, items, item_columns=ITEMS)
        raw = frame.set_index("customer_id").loc[ids, FEATURES].reset_index(drop=True)
        scores = fit.item_pipeline.transform(
            build_item_matrix(items, ids, lines_column="lines").over(fit.items)
        )
        raw[list(fit.item_features)] = scores
        np.testing.assert_allclose(
            points, fit.preprocessor.transform(raw).to_numpy(), atol=1e-10, err_msg=str(extra)
        )


def test_item_pattern_adds_components_and_any_input_form_gives_one_result() -> None:
    frame = blobs(n=240, k=3, seed=9)
    items = item_rows(frame)
    cfg = settings(item_pattern={"enabled": True, "n_components": 3})
    fits = [
        fit_segmentation(frame, cfg, source="t", items=source, item_columns=ITEMS)
        for source in (
            items,
            pa.Table.from_pandas(items),
            pa.Table.from_pandas(items).to_reader(max_chunksize=50),
        )
    ]
    assert len({fit.model_version for fit in fits}) == 1
    assert fits[0].item_features == ("item_svd_1", "item_svd_2", "item_svd_3")
    components = fits[0].tables["item_components"]
    assert set(components["item"]) == set(items["stock_code"])
    assert (fits[0].tables["preprocessing"].query("transform == 'item_svd'")["feature"].tolist()) == [
        "item_svd_1",
        "item_svd_2",
        "item_svd_3",
    ]
    more = items.assign(lines=items["lines"] + (items.index == 0))
    assert fit_segmentation(frame, cfg, source="t", items=more, item_columns=ITEMS).model_version != (
        fits[0].model_version
    )


def test_structure_verdict_separates_groups_from_a_continuum() -> None:
    groups = fit_segmentation(blobs(n=300, k=3), settings(), source="t").structure
    assert groups.verdict == "clear groups"
    assert groups.silhouette > groups.null_silhouette_mean + 0.1
    with pytest.warns(SegmentationWarning, match="k rule fell back"):
        continuum = fit_segmentation(cloud(), settings(k_min=3), source="t").structure
    assert continuum.verdict == "useful slices of a continuum"
    assert "silhouette" in continuum.detail and continuum.references == 2


def test_summary_and_string_ids() -> None:
    frame = blobs(n=200, k=3)
    frame["customer_id"] = "C" + frame["customer_id"].astype(str)
    fit = fit_segmentation(frame, settings(), source="smartcart")
    summary = fit.summary()
    assert summary["source"] == "smartcart" and summary["segments"] == 3
    assert summary["features"] == FEATURES and summary["structure_verdict"] == "clear groups"
    assert fit.predict(frame)["customer_id"].iloc[0] == min(frame["customer_id"])
    comparison = fit.tables["comparison"].set_index("clustering_b")["adjusted_rand_index"]
    assert set(comparison.index) == {"agglomerative|all_features|k=3", "gmm|all_features|k=3"}
    assert (comparison > 0.9).all()
