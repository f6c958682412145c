"""FeaturePreprocessor (log1p, scaling, PCA) and ItemPatternEncoder (sparse SVD)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from custseg.segmentation.preprocess import FeaturePreprocessor, ItemPatternEncoder


def raw_matrix(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spend = rng.lognormal(6, 1, n)
    visits = rng.poisson(5, n).astype(float)
    share = rng.uniform(0, 1, n)
    return np.column_stack([spend, visits, share])


def test_standard_scaling_after_log1p_and_inverse() -> None:
    raw = raw_matrix()
    pre = FeaturePreprocessor(["spend", "visits", "share"], ["spend"]).fit(raw)
    z = pre.transform_scaled(raw)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0)
    np.testing.assert_allclose(z[:, 0], (np.log1p(raw[:, 0]) - pre.center_[0]) / pre.scale_[0])
    np.testing.assert_allclose(pre.inverse_scaled(z), raw)
    np.testing.assert_allclose(pre.original_to_scaled(raw), z)
    np.testing.assert_array_equal(pre.loadings_, np.eye(3))  # no PCA: identity projection
    assert pre.transform(raw) is not None and pre.n_components_ == 3


def test_robust_scaler_uses_median_iqr_with_std_fallback() -> None:
    raw = raw_matrix()
    raw[:, 2] = 0.0
    raw[:5, 2] = [1.0, 2.0, 3.0, 4.0, 5.0]  # IQR 0 but not constant
    pre = FeaturePreprocessor(["spend", "visits", "share"], scaler="robust").fit(raw)
    q1, q3 = np.percentile(raw[:, 0], [25, 75])
    assert pre.center_[0] == pytest.approx(np.median(raw[:, 0]))
    assert pre.scale_[0] == pytest.approx(q3 - q1)
    assert pre.scale_[2] == pytest.approx(raw[:, 2].std() * 1.3489795003921634)


def test_constant_feature_is_dropped_and_nan_filled_with_fitted_median() -> None:
    raw = raw_matrix()
    raw[:, 1] = 7.0
    pre = FeaturePreprocessor(["spend", "visits", "share"]).fit(raw)
    assert pre.dropped_features_ == ("visits",)
    assert pre.features_ == ("spend", "share")
    row = np.array([[np.nan, 1.0, np.nan]])
    expected = (np.median(raw[:, [0, 2]], axis=0) - pre.center_) / pre.scale_
    np.testing.assert_allclose(pre.transform_scaled(row)[0], expected)


def test_log1p_clips_negative_values_of_excluded_rows() -> None:
    raw = raw_matrix()
    pre = FeaturePreprocessor(["spend", "visits", "share"], ["spend"]).fit(raw)
    z = pre.transform_scaled(np.array([[-50.0, 1.0, 0.5], [0.0, 1.0, 0.5]]))
    assert z[0, 0] == z[1, 0]


def test_pca_reaches_variance_target_and_formula_matches() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(300, 2))
    raw = np.column_stack([base, base @ [[1.0], [0.5]] + 0.01 * rng.normal(size=(300, 1))])
    pre = FeaturePreprocessor(["a", "b", "c"], pca_variance=0.95).fit(raw)
    assert pre.n_components_ == 2
    assert pre.pca_.explained_variance_ratio_.sum() >= 0.95
    z = pre.transform_scaled(raw)
    np.testing.assert_allclose(pre.transform(raw), (z - pre.pca_mean_) @ pre.loadings_)


def item_frame() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    rows = []
    for customer in range(60):
        group = customer % 2
        for item in rng.choice(10, size=4, replace=False):
            code = f"A{item}" if group == 0 else f"B{item}"
            rows.append((customer, code, int(rng.integers(1, 5)), int(rng.integers(1, 20))))
    rows.append((59, "RARE", 1, 1))
    frame = pd.DataFrame(rows, columns=["customer_id", "stock_code", "lines", "quantity"])
    return frame.sample(frac=1.0, random_state=3), pd.Series(np.arange(61), name="customer_id")


def test_item_encoder_sparse_filtered_and_zero_for_unknown_customers() -> None:
    items, ids = item_frame()
    enc = ItemPatternEncoder(n_components=2, min_lines=3, random_state=0).fit(items, ids)
    assert "RARE" not in set(enc.items_)
    assert list(enc.items_) == sorted(enc.items_)
    matrix = enc._matrix(enc._aggregate(items, ids), len(ids))
    assert sparse.issparse(matrix)
    np.testing.assert_allclose(sparse.linalg.norm(matrix[:60], axis=1), 1.0)
    scores = enc.transform(items, ids)
    assert scores.shape == (61, 2)
    np.testing.assert_array_equal(scores[60], 0.0)  # customer 60 bought nothing
    # the two purchase groups separate on the first components
    group = np.arange(60) % 2
    assert abs(np.corrcoef(scores[:60, 0], group)[0, 1]) + abs(np.corrcoef(scores[:60, 1], group)[0, 1]) > 0.8
    shuffled = enc.transform(items.sample(frac=1.0, random_state=9), ids)
    np.testing.assert_allclose(shuffled, scores)


def test_item_encoder_shrinks_components_to_items() -> None:
    items, ids = item_frame()
    enc = ItemPatternEncoder(n_components=50, min_lines=3).fit(items, ids)
    assert enc.n_components_ == len(enc.items_) - 1
    assert enc.feature_names_[0] == "item_svd_1"
