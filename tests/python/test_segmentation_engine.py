"""run_segmentation end to end on small synthetic customer frames: recovery of known
segments, the k rule, invariances, memoisation, versioning and output shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from custseg.segmentation import SegmentationWarning, clear_cache, run_segmentation
from custseg.segmentation import engine as engine_module

FAST = {"n_init": 3, "stability_resamples": 3, "k_max": 6}


def blobs(n: int = 300, k: int = 3, seed: int = 0, spread: float = 0.6) -> pd.DataFrame:
    """Customers in k well separated groups; spend is positive and differs per group."""
    rng = np.random.default_rng(seed)
    centers = 8.0 * np.eye(4)[:k] + rng.normal(0.0, 0.5, size=(k, 4))  # equidistant groups
    truth = np.arange(n) % k
    x = centers[truth] + rng.normal(0.0, spread, size=(n, 4))
    return pd.DataFrame(
        {
            "customer_id": np.arange(n) * 3 + 1000,
            "spend": np.exp(x[:, 0] / 4 + 6),
            "visits": x[:, 1] + 20,
            "recency": x[:, 2] + 50,
            "share": x[:, 3],
            "is_excluded_from_fit": np.zeros(n, dtype=bool),
            "truth": truth,
        }
    )


FEATURES = ["spend", "visits", "recency", "share"]


def settings(**overrides) -> dict:
    return {"features": FEATURES, "log1p_features": ["spend"], **FAST, **overrides}


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def segments_by_id(result) -> pd.Series:
    return result.assignments.set_index("customer_id")["segment_id"]


@pytest.mark.parametrize("k", [3, 4])
def test_recovers_separated_blobs_and_rule_picks_true_k(k: int) -> None:
    frame = blobs(n=320, k=k, seed=k)
    result = run_segmentation(frame, settings(), source="test")
    assert result.chosen_k == k
    chosen = result.model_selection[result.model_selection["is_chosen"]]
    assert chosen["k"].tolist() == [k]
    assert "highest silhouette" in chosen["choice_reason"].iloc[0]
    seg = segments_by_id(result).loc[frame["customer_id"]].to_numpy()
    assert adjusted_rand_score(frame["truth"], seg) == pytest.approx(1.0)


@pytest.mark.parametrize("algorithm", ["agglomerative", "gmm"])
def test_other_algorithms_recover_blobs(algorithm: str) -> None:
    frame = blobs(n=240, k=3, seed=1)
    result = run_segmentation(frame, settings(algorithm=algorithm), source="test")
    seg = segments_by_id(result).loc[frame["customer_id"]].to_numpy()
    assert result.chosen_k == 3
    assert adjusted_rand_score(frame["truth"], seg) == pytest.approx(1.0)
    assert result.backend == {"agglomerative": "ward", "gmm": "gmm"}[algorithm]


def test_pinned_k_is_honoured_and_all_candidates_scored() -> None:
    frame = blobs(n=240, k=3)
    result = run_segmentation(frame, settings(k=5), source="test")
    assert result.chosen_k == 5
    assert result.segments["segment_id"].tolist() == [1, 2, 3, 4, 5]
    assert result.model_selection["k"].tolist() == [2, 3, 4, 5, 6]
    assert result.model_selection["is_chosen"].sum() == 1
    assert "pinned" in result.choice_reason


def test_row_order_does_not_matter() -> None:
    frame = blobs(n=240, k=3, seed=5)
    frame.loc[frame.index[:7], "is_excluded_from_fit"] = True
    first = run_segmentation(frame, settings(pca_variance=0.9), source="test", use_cache=False)
    shuffled = frame.sample(frac=1.0, random_state=11)
    second = run_segmentation(shuffled, settings(pca_variance=0.9), source="test", use_cache=False)
    assert first.model_version == second.model_version
    for name, table in first.tables().items():
        pd.testing.assert_frame_equal(table, second.table(name), obj=name)


def test_currency_change_keeps_segments_when_standardised_without_log() -> None:
    frame = blobs(n=240, k=3, seed=2)
    cfg = settings(log1p_features=[])
    base = run_segmentation(frame, cfg, source="test")
    converted = frame.assign(spend=frame["spend"] * 1.0873)
    other = run_segmentation(converted, cfg, source="test")
    assert other.model_version != base.model_version
    pd.testing.assert_series_equal(segments_by_id(base), segments_by_id(other))
    np.testing.assert_allclose(other.centroids["center_scaled"], base.centroids["center_scaled"], atol=1e-9)


def test_every_row_is_assigned_and_excluded_rows_go_to_nearest_centroid() -> None:
    frame = blobs(n=240, k=3, seed=3)
    frame.loc[frame.index[:10], "is_excluded_from_fit"] = True
    frame.loc[frame.index[0], "spend"] = 666666.0  # implausible, excluded
    frame.loc[frame.index[1], "visits"] = np.nan  # missing, excluded: filled with median
    with pytest.warns(SegmentationWarning, match="missing values in excluded rows"):
        result = run_segmentation(frame, settings(), source="test")
    a = result.assignments
    assert len(a) == len(frame) and a["customer_id"].is_unique
    assert a["customer_id"].is_monotonic_increasing
    assert a["is_excluded_from_fit"].sum() == 10
    assert (a["segment_id"] > 0).all()
    excluded = a[a["is_excluded_from_fit"]]
    assert (excluded["margin_to_next_centroid"] >= 0).all()
    assert result.segments["n_customers"].sum() == len(frame)
    assert result.segments["n_fitted"].sum() == len(frame) - 10
    assert "missing values in excluded rows" in result.diagnostics["message"].iloc[0]


def test_outlier_flag_marks_far_customers() -> None:
    frame = blobs(n=300, k=3, seed=4)
    frame.loc[frame.index[0], ["visits", "recency"]] = [60.0, 120.0]
    result = run_segmentation(frame, settings(outlier_quantile=0.99), source="test")
    a = result.assignments.set_index("customer_id")
    assert a.loc[frame["customer_id"].iloc[0], "is_outlier"]
    assert a["is_outlier"].mean() < 0.05
    thresholds = result.segments.set_index("segment_id")["outlier_distance_threshold"]
    expected = a["distance_to_centroid"] > a["segment_id"].map(thresholds)
    pd.testing.assert_series_equal(a["is_outlier"], expected, check_names=False)


def test_segment_ids_follow_order_feature_highest_first() -> None:
    frame = blobs(n=240, k=3, seed=6)
    for feature in ["spend", "recency"]:
        result = run_segmentation(frame, settings(id_order_feature=feature), source="test")
        values = result.segments.sort_values("segment_id")["order_value"].to_numpy()
        assert np.all(np.diff(values) < 0)
        truth_mean = frame.groupby(segments_by_id(result).loc[frame["customer_id"]].to_numpy())[
            feature
        ].mean()
        np.testing.assert_allclose(truth_mean.to_numpy(), values)


def test_memoised_by_model_version_without_refit(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = blobs(n=200, k=3)
    calls = []
    real_fit = engine_module._fit
    monkeypatch.setattr(engine_module, "_fit", lambda *a, **kw: calls.append(1) or real_fit(*a, **kw))
    first = run_segmentation(frame, settings(), source="test")
    first.assignments.loc[0, "segment_id"] = 99  # caller edits never reach the memo
    second = run_segmentation(frame.iloc[::-1], settings(), source="test")
    assert len(calls) == 1
    assert second.model_version == first.model_version
    assert second.assignments.loc[0, "segment_id"] != 99
    run_segmentation(frame, settings(k_max=5), source="test")
    run_segmentation(frame, settings(), source="other")
    assert len(calls) == 3


def test_model_version_changes_with_data() -> None:
    frame = blobs(n=200, k=3)
    base = run_segmentation(frame, settings(), source="test").model_version
    changed = frame.copy()
    changed.loc[5, "visits"] += 0.001
    flagged = frame.copy()
    flagged.loc[5, "is_excluded_from_fit"] = True
    versions = {
        base,
        run_segmentation(changed, settings(), source="test").model_version,
        run_segmentation(flagged, settings(), source="test").model_version,
    }
    assert len(versions) == 3
    assert len(base) == 12 and int(base, 16) >= 0


def test_minibatch_switch_and_sampled_selection() -> None:
    frame = blobs(n=600, k=3, seed=7)
    cfg = settings(minibatch_threshold=300, selection_sample_size=200, stability_sample_size=150)
    result = run_segmentation(frame, cfg, source="test")
    assert result.backend == "minibatch_kmeans"
    assert (result.model_selection["n_evaluated"] == 200).all()
    seg = segments_by_id(result).loc[frame["customer_id"]].to_numpy()
    assert adjusted_rand_score(frame["truth"], seg) == pytest.approx(1.0)


def test_output_schemas() -> None:
    frame = blobs(n=200, k=3)
    cfg = settings(pca_variance=0.8, comparison_feature_sets={"no_share": FEATURES[:3]})
    result = run_segmentation(frame, cfg, source="smartcart")
    expected = {
        "assignments": {
            "customer_id": "int64",
            "segment_id": "int64",
            "distance_to_centroid": "float64",
            "margin_to_next_centroid": "float64",
            "is_outlier": "bool",
            "is_excluded_from_fit": "bool",
        },
        "centroids": {
            "segment_id": "int64",
            "feature": "str",
            "center_scaled": "float64",
            "center_original": "float64",
            "mean_original": "float64",
        },
        "model_centroids": {"segment_id": "int64", "component": "int64", "center": "float64"},
        "preprocessing": {
            "feature": "str",
            "position": "int64",
            "transform": "str",
            "fill_value": "float64",
            "center": "float64",
            "scale": "float64",
            "pca_mean": "float64",
        },
        "projection": {"feature": "str", "component": "int64", "loading": "float64"},
        "model_selection": {
            "k": "int64",
            "inertia": "float64",
            "silhouette": "float64",
            "calinski_harabasz": "float64",
            "davies_bouldin": "float64",
            "stability": "float64",
            "min_segment_share": "float64",
            "n_evaluated": "int64",
            "is_chosen": "bool",
            "choice_reason": "str",
            "algorithm": "str",
        },
        "comparison": {
            "clustering_a": "str",
            "clustering_b": "str",
            "k": "int64",
            "n_customers_compared": "int64",
            "adjusted_rand_index": "float64",
        },
    }
    for name, columns in expected.items():
        table = result.table(name)
        assert list(table.columns) == ["source", *columns, "model_version"], name
        for column, dtype in columns.items():
            assert table[column].dtype == dtype, (name, column)
        assert (table["source"] == "smartcart").all()
        assert (table["model_version"] == result.model_version).all()
    comparison = result.comparison.set_index("clustering_b")["adjusted_rand_index"]
    assert set(comparison.index) == {
        "agglomerative|all_features|k=3",
        "gmm|all_features|k=3",
        "kmeans|no_share|k=3",
    }
    assert (comparison > 0.9).all()
    centroids = result.centroids
    assert len(centroids) == 3 * len(FEATURES)
    assert len(result.model_centroids) == 3 * result.projection["component"].nunique()


def test_string_ids_are_kept_as_strings() -> None:
    frame = blobs(n=200, k=3)
    frame["customer_id"] = "C" + frame["customer_id"].astype(str)
    result = run_segmentation(frame, settings(), source="test")
    assert result.assignments["customer_id"].dtype == "str"
    assert result.assignments["customer_id"].iloc[0] == min(frame["customer_id"])


def test_concurrent_calls_fit_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    frame = blobs(n=200, k=3)
    calls = []
    real_fit = engine_module._fit
    monkeypatch.setattr(engine_module, "_fit", lambda *a, **kw: calls.append(1) or real_fit(*a, **kw))
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: run_segmentation(frame, settings(), source="t"), range(3)))
    assert len(calls) == 1
    assert len({r.model_version for r in results}) == 1
