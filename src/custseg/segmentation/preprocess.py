"""Feature preprocessing: log1p -> scaling -> optional PCA, and the item-pattern SVD features.

Both classes are estimator-shaped (``fit`` learns on the fitted customers, ``transform``
applies to any customer) and expose their learnt parameters as plain arrays so the same
arithmetic can be written in SQL (see :mod:`custseg.segmentation` for the formulas).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.preprocessing import normalize

from custseg.segmentation.errors import SegmentationInputError
from custseg.segmentation.inputs import normalise_ids

# IQR of a normal distribution in units of its standard deviation.
_IQR_PER_STD = 1.3489795003921634


class FeaturePreprocessor:
    """log1p (selected columns) -> centre/scale -> optional PCA to a variance target.

    ``fit`` drops features that are constant over the fitted rows (listed in
    ``dropped_features_``), learns per-feature fill values (fitted median, used for NaN in
    excluded rows), centre and scale, and the PCA. ``transform`` maps raw values (columns in
    ``features`` order) to model space; ``transform_scaled`` stops before PCA.
    """

    def __init__(
        self,
        features: Sequence[str],
        log1p_features: Sequence[str] = (),
        scaler: str = "standard",
        pca_variance: float | None = None,
        random_state: int = 42,
    ) -> None:
        self.features = tuple(features)
        self.log1p_features = tuple(log1p_features)
        self.scaler = scaler
        self.pca_variance = pca_variance
        self.random_state = random_state

    # ------------------------------------------------------------------ helpers

    def _log_mask(self, features: Sequence[str]) -> np.ndarray:
        return np.array([f in self.log1p_features for f in features], dtype=bool)

    @staticmethod
    def _apply_log(values: np.ndarray, log_mask: np.ndarray) -> np.ndarray:
        out = values.copy()
        if log_mask.any():
            out[:, log_mask] = np.log1p(np.maximum(out[:, log_mask], 0.0))
        return out

    # ------------------------------------------------------------------ estimator API

    def fit(self, raw: np.ndarray) -> FeaturePreprocessor:
        """Learn fill values, dropped features, centre/scale and PCA from fitted rows."""
        raw = np.asarray(raw, dtype="float64")
        if raw.ndim != 2 or raw.shape[1] != len(self.features):
            raise ValueError(f"expected {len(self.features)} columns, got shape {raw.shape}")
        if np.isnan(raw).any():
            raise SegmentationInputError("FeaturePreprocessor.fit got NaN values")
        transformed = self._apply_log(raw, self._log_mask(self.features))
        constant = np.ptp(transformed, axis=0) == 0.0
        self.dropped_features_ = tuple(f for f, c in zip(self.features, constant, strict=True) if c)
        self.kept_index_ = np.flatnonzero(~constant)
        self.features_ = tuple(self.features[i] for i in self.kept_index_)
        if not self.features_:
            raise SegmentationInputError(
                "all features are constant over the fitted rows (e.g. all rows identical); "
                "nothing to segment on"
            )
        self.log_mask_ = self._log_mask(self.features_)
        self.fill_values_ = np.median(raw[:, self.kept_index_], axis=0)
        kept = transformed[:, self.kept_index_]
        if self.scaler == "standard":
            self.center_ = kept.mean(axis=0)
            self.scale_ = kept.std(axis=0)
        elif self.scaler == "robust":
            q1, median, q3 = np.percentile(kept, [25.0, 50.0, 75.0], axis=0)
            self.center_ = median
            iqr = q3 - q1
            self.scale_ = np.where(iqr > 0, iqr, kept.std(axis=0) * _IQR_PER_STD)
        else:
            raise ValueError(f"unknown scaler {self.scaler!r}")
        scaled = (kept - self.center_) / self.scale_
        self.pca_ = None
        if self.pca_variance is not None:
            n_components = None if self.pca_variance >= 1.0 else self.pca_variance
            self.pca_ = PCA(
                n_components=n_components,
                svd_solver="covariance_eigh" if len(scaled) > len(self.features_) else "full",
                random_state=self.random_state,
            ).fit(scaled)
        return self

    def transform_scaled(self, raw: np.ndarray) -> np.ndarray:
        """Raw values (all ``features`` columns) -> scaled space of the kept features."""
        kept = np.asarray(raw, dtype="float64")[:, self.kept_index_]
        kept = np.where(np.isnan(kept), self.fill_values_, kept)
        return (self._apply_log(kept, self.log_mask_) - self.center_) / self.scale_

    def scaled_to_model(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled space -> model space (PCA scores, or identity without PCA)."""
        if self.pca_ is None:
            return scaled
        return (scaled - self.pca_.mean_) @ self.pca_.components_.T

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Raw values -> model space."""
        return self.scaled_to_model(self.transform_scaled(raw))

    def inverse_scaled(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled space -> original units (inverse scaling, then expm1 for log1p features)."""
        values = np.asarray(scaled, dtype="float64") * self.scale_ + self.center_
        out = values.copy()
        out[..., self.log_mask_] = np.expm1(values[..., self.log_mask_])
        return out

    def original_to_scaled(self, values: np.ndarray, columns: Sequence[int] | None = None) -> np.ndarray:
        """Original units of kept features (all, or the kept-feature indices ``columns``)
        -> scaled space; the inverse of :meth:`inverse_scaled`."""
        idx = np.arange(len(self.features_)) if columns is None else np.asarray(columns)
        out = np.array(values, dtype="float64", copy=True)
        log = self.log_mask_[idx]
        out[..., log] = np.log1p(np.maximum(out[..., log], 0.0))
        return (out - self.center_[idx]) / self.scale_[idx]

    # ------------------------------------------------------------------ SQL parameters

    @property
    def n_components_(self) -> int:
        return len(self.features_) if self.pca_ is None else int(self.pca_.n_components_)

    @property
    def pca_mean_(self) -> np.ndarray:
        return np.zeros(len(self.features_)) if self.pca_ is None else self.pca_.mean_

    @property
    def loadings_(self) -> np.ndarray:
        """(features x components): identity without PCA, PCA loadings otherwise."""
        if self.pca_ is None:
            return np.eye(len(self.features_))
        return self.pca_.components_.T


class ItemPatternEncoder:
    """Long (customer, item, lines, quantity) rows -> sparse customer x item matrix -> SVD.

    Only items with at least ``min_lines`` purchase lines among the fitted customers are
    columns. Cell value v = log1p(lines | max(quantity, 0) | 1), each customer row is L2
    normalised (so the pattern, not the volume, counts), and TruncatedSVD (no centring)
    gives ``n_components`` scores per customer: score_c = sum_i v_i * components_[c, i].
    Customers without kept items score 0. The matrix is never densified.
    """

    def __init__(
        self,
        n_components: int = 5,
        min_lines: int = 100,
        value: str = "lines",
        item_column: str = "stock_code",
        lines_column: str = "lines",
        quantity_column: str = "quantity",
        customer_column: str = "customer_id",
        random_state: int = 42,
    ) -> None:
        self.n_components = n_components
        self.min_lines = min_lines
        self.value = value
        self.item_column = item_column
        self.lines_column = lines_column
        self.quantity_column = quantity_column
        self.customer_column = customer_column
        self.random_state = random_state

    def _aggregate(self, items: pd.DataFrame, customer_ids: pd.Series) -> pd.DataFrame:
        """Sum lines and quantity per (customer row, item) for customers in ``customer_ids``."""
        needed = [self.customer_column, self.item_column, self.lines_column]
        if self.value == "quantity":
            needed.append(self.quantity_column)
        missing = [c for c in needed if c not in items.columns]
        if missing:
            raise SegmentationInputError(f"item_pattern frame is missing column(s) {missing}")
        cust = normalise_ids(items[self.customer_column], name=self.customer_column)
        key = customer_ids
        if cust.dtype != key.dtype:
            cust, key = cust.astype("str"), key.astype("str")
        rows = pd.Index(key).get_indexer(cust)
        item_codes = items[self.item_column]
        if item_codes.isna().any():
            raise SegmentationInputError(
                f"item_pattern column '{self.item_column}' has {int(item_codes.isna().sum())} null value(s)"
            )
        frame = pd.DataFrame(
            {
                "row": rows,
                "item": item_codes.astype("str").to_numpy(),
                "lines": pd.to_numeric(items[self.lines_column]).astype("float64").to_numpy(),
                "quantity": (
                    pd.to_numeric(items[self.quantity_column]).astype("float64").to_numpy()
                    if self.value == "quantity"
                    else 0.0
                ),
            }
        )
        frame = frame[frame["row"] >= 0]
        if frame[["lines", "quantity"]].isna().to_numpy().any():
            raise SegmentationInputError("item_pattern lines/quantity contain null values")
        return frame.groupby(["row", "item"], as_index=False, sort=True)[["lines", "quantity"]].sum()

    def _matrix(self, agg: pd.DataFrame, n_rows: int) -> sparse.csr_matrix:
        col = pd.Index(self.items_).get_indexer(agg["item"])
        keep = col >= 0
        agg, col = agg[keep], col[keep]
        if self.value == "lines":
            values = agg["lines"].to_numpy()
        elif self.value == "quantity":
            values = agg["quantity"].to_numpy()
        else:
            values = (agg["lines"].to_numpy() > 0).astype("float64")
        values = np.log1p(np.maximum(values, 0.0))
        matrix = sparse.csr_matrix((values, (agg["row"].to_numpy(), col)), shape=(n_rows, len(self.items_)))
        matrix.eliminate_zeros()
        return normalize(matrix, norm="l2", axis=1, copy=False)

    def fit(self, items: pd.DataFrame, customer_ids: pd.Series) -> ItemPatternEncoder:
        """Choose the item columns and fit the SVD on the fitted customers' rows."""
        agg = self._aggregate(items, customer_ids)
        lines = agg.groupby("item", sort=True)["lines"].sum()
        self.items_ = np.asarray(sorted(lines.index[lines >= self.min_lines]), dtype=object)
        if len(self.items_) < 2:
            raise SegmentationInputError(
                f"item_pattern: only {len(self.items_)} item(s) have >= {self.min_lines} lines "
                "among fitted customers; lower item_pattern.min_lines or disable item_pattern"
            )
        self.n_components_ = min(self.n_components, len(self.items_) - 1)
        matrix = self._matrix(agg, len(customer_ids))
        self.svd_ = TruncatedSVD(
            n_components=self.n_components_, n_iter=7, random_state=self.random_state
        ).fit(matrix)
        self.components_ = self.svd_.components_
        return self

    def transform(self, items: pd.DataFrame | None, customer_ids: pd.Series) -> np.ndarray:
        """SVD scores (customers x components), rows in ``customer_ids`` order."""
        if items is None:
            return np.zeros((len(customer_ids), self.n_components_))
        matrix = self._matrix(self._aggregate(items, customer_ids), len(customer_ids))
        return np.asarray(matrix @ self.components_.T)

    @property
    def feature_names_(self) -> tuple[str, ...]:
        return tuple(f"item_svd_{c + 1}" for c in range(self.n_components_))
