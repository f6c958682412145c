"""Degenerate inputs: each raises SegmentationInputError naming the problem, or applies the
documented fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custseg.segmentation import (
    SegmentationInputError,
    SegmentationWarning,
    fit_segmentation,
)

FAST = {"n_init": 2, "stability_resamples": 2, "k_max": 4}


def frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.arange(n) % 2
    return pd.DataFrame(
        {
            "customer_id": np.arange(n) + 1,
            "income": 30000 + 40000 * group + rng.normal(0, 2000, n),
            "total_spend": 100 + 900 * group + rng.uniform(0, 50, n),
            "web_visits": rng.integers(0, 10, n).astype(float),
            "is_excluded_from_fit": np.zeros(n, dtype=bool),
        }
    )


FEATURES = ["income", "total_spend", "web_visits"]


def run(data: pd.DataFrame, **overrides):
    cfg = {"features": FEATURES, "log1p_features": ["total_spend"], **FAST, **overrides}
    return fit_segmentation(data, cfg, source="test")


def test_empty_frame() -> None:
    with pytest.raises(SegmentationInputError, match="empty"):
        run(frame().iloc[0:0])


def test_missing_feature_column_is_named() -> None:
    with pytest.raises(SegmentationInputError, match=r"missing column\(s\) \['web_visits'\]"):
        run(frame().drop(columns="web_visits"))


def test_missing_id_or_exclusion_column_is_named() -> None:
    with pytest.raises(SegmentationInputError, match="customer_id"):
        run(frame().drop(columns="customer_id"))
    with pytest.raises(SegmentationInputError, match="is_excluded_from_fit"):
        run(frame().drop(columns="is_excluded_from_fit"))


def test_duplicate_and_null_ids() -> None:
    data = frame()
    data.loc[3, "customer_id"] = 1
    with pytest.raises(SegmentationInputError, match="1 duplicate id"):
        run(data)
    data = frame()
    data["customer_id"] = data["customer_id"].astype("Int64")
    data.loc[3, "customer_id"] = pd.NA
    with pytest.raises(SegmentationInputError, match="null"):
        run(data)


def test_nan_in_fitted_rows_names_column_and_count() -> None:
    data = frame()
    data.loc[[1, 2], "income"] = np.nan
    with pytest.raises(SegmentationInputError, match=r"\{'income': 2\}"):
        run(data)


def test_nan_in_excluded_rows_is_filled() -> None:
    data = frame()
    data.loc[[1, 2], "income"] = np.nan
    data.loc[[1, 2], "is_excluded_from_fit"] = True
    with pytest.warns(SegmentationWarning, match="fitted median"):
        result = run(data)
    assert len(result.predict(data)) == len(data)


def test_infinite_values_are_rejected() -> None:
    data = frame()
    data.loc[4, "web_visits"] = np.inf
    data.loc[4, "is_excluded_from_fit"] = True
    with pytest.raises(SegmentationInputError, match=r"infinite.*\{'web_visits': 1\}"):
        run(data)


def test_negative_value_in_log1p_feature() -> None:
    data = frame()
    data.loc[7, "total_spend"] = -5.0
    with pytest.raises(SegmentationInputError, match=r"log1p.*\{'total_spend': 1\}"):
        run(data)
    data.loc[7, "is_excluded_from_fit"] = True  # excluded rows are clipped to 0 instead
    with pytest.warns(SegmentationWarning, match="clipped to 0"):
        run(data)


def test_non_numeric_feature() -> None:
    data = frame()
    data["web_visits"] = data["web_visits"].astype(str)
    with pytest.raises(SegmentationInputError, match="not numeric.*web_visits"):
        run(data)


def test_all_rows_identical() -> None:
    data = frame()
    data[FEATURES] = [50000.0, 300.0, 4.0]
    with pytest.raises(SegmentationInputError, match="all features are constant"):
        run(data)


def test_constant_feature_is_dropped_with_warning() -> None:
    data = frame()
    data["web_visits"] = 3.0
    with pytest.warns(SegmentationWarning, match="web_visits"):
        result = run(data)
    assert result.dropped_features == ("web_visits",)
    assert "web_visits" not in set(result.tables["preprocessing"]["feature"])
    assert "web_visits" not in set(result.tables["centroids"]["feature"])


def test_too_few_fitted_customers() -> None:
    data = frame(n=10)
    data.loc[data.index[2:], "is_excluded_from_fit"] = True
    with pytest.raises(SegmentationInputError, match="only 2 fitted customer"):
        run(data)
    data = frame(n=10)
    data["is_excluded_from_fit"] = True
    with pytest.raises(SegmentationInputError, match="only 0 fitted"):
        run(data)


def test_pinned_k_larger_than_data_allows() -> None:
    data = frame(n=6)
    with pytest.raises(SegmentationInputError, match="pinned k=8"):
        run(data, k=8)


def test_few_distinct_customers_shrink_k_range() -> None:
    data = frame(n=40)
    data[FEATURES] = np.tile([[1.0, 2.0, 3.0], [5.0, 9.0, 1.0], [2.0, 4.0, 8.0]], (14, 1))[:40]
    with pytest.warns(SegmentationWarning, match=r"k \[4\] left out"):
        result = run(data)
    assert result.tables["model_selection"]["k"].max() == 3
    assert result.choice.k == 3
    with pytest.raises(SegmentationInputError, match="no candidate k"):
        run(data, k_min=4, k_max=5)


def test_bad_exclusion_flag_values() -> None:
    data = frame()
    data["is_excluded_from_fit"] = "no"
    with pytest.raises(SegmentationInputError, match="must be boolean"):
        run(data)


def test_not_a_dataframe_and_empty_source() -> None:
    with pytest.raises(SegmentationInputError, match="DataFrame"):
        fit_segmentation([1, 2], {"features": ["a"]}, source="x")  # type: ignore[arg-type]
    with pytest.raises(SegmentationInputError, match="source"):
        fit_segmentation(frame(), {"features": FEATURES}, source="")


def test_item_pattern_enabled_without_frame() -> None:
    with pytest.raises(SegmentationInputError, match="no items were passed"):
        run(frame(), item_pattern={"enabled": True})
