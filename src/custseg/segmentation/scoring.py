"""Scoring from the fitted model's parameter tables: the Python reference of the SQL macro
``predict_segment``, and the one place in Python that computes it.

A fitted model is data: the tables ``preprocessing``, ``projection``, ``model_centroids``,
``item_components`` and ``model_segments`` (in the warehouse ``segment_model_features``,
``segment_model_projection``, ``segment_model_centroids``, ``segment_model_items`` and
``segment_model_segments``) are enough to score any customer::

    x'  = coalesce(x, fill_value)
    t   = ln(1 + max(x', 0)) for log1p features, x' otherwise
    v   = ln(1 + lines) per item of the model, each customer's row scaled to unit length;
          item_svd_c = sum_items v * loading (0 without such items)
    z   = (t - center) / scale
    m_c = sum_f (z_f - pca_mean_f) * loading_fc
    segment = argmin_s sum_c (m_c - center_sc)^2, ties to the smaller segment id
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize

from custseg.segmentation.clustering import nearest_centroid, squared_distances
from custseg.segmentation.errors import SegmentationInputError
from custseg.segmentation.items import ItemMatrix, ItemPatternSource, build_item_matrix
from custseg.segmentation.validation import normalise_ids

ItemColumns = tuple[str, str, str]
"""Names of the item relation's customer, item and lines columns."""


@dataclass(frozen=True, eq=False)
class ModelParameters:
    """One source's fitted model as its parameter tables (see the module docstring)."""

    preprocessing: pd.DataFrame
    projection: pd.DataFrame
    model_centroids: pd.DataFrame
    item_components: pd.DataFrame
    model_segments: pd.DataFrame

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame]) -> ModelParameters:
        """From a mapping with (at least) the five tables, as the fit or the warehouse has them."""
        names = ("preprocessing", "projection", "model_centroids", "item_components", "model_segments")
        missing = [name for name in names if name not in tables]
        if missing:
            raise ValueError(f"model parameter table(s) missing: {missing}")
        return cls(**{name: tables[name] for name in names})

    @property
    def features(self) -> list[str]:
        return self.preprocessing.sort_values("position")["feature"].tolist()

    @property
    def segment_ids(self) -> np.ndarray:
        return np.sort(self.model_centroids["segment_id"].unique()).astype("int64")

    def model_space(
        self,
        features: pd.DataFrame,
        items: ItemPatternSource | ItemMatrix | None = None,
        *,
        id_column: str = "customer_id",
        item_columns: ItemColumns = ("customer_id", "stock_code", "lines"),
    ) -> tuple[pd.Series, np.ndarray]:
        """Customers' ids (sorted) and their coordinates in model space."""
        ids = normalise_ids(features[id_column], name=id_column)
        order = np.argsort(ids.to_numpy(), kind="stable")
        ids = ids.iloc[order].reset_index(drop=True)
        rows = features.iloc[order].reset_index(drop=True)
        pre = self.preprocessing.sort_values("position")
        values = np.empty((len(ids), len(pre)))
        item_features = pre.loc[pre["transform"] == "item_svd", "feature"].tolist()
        scores = self._item_scores(item_features, items, ids, item_columns) if item_features else {}
        for j, row in enumerate(pre.itertuples(index=False)):
            if row.transform == "item_svd":
                values[:, j] = scores[row.feature]
                continue
            if row.feature not in rows.columns:
                raise SegmentationInputError(f"features are missing column '{row.feature}' of the model")
            x = rows[row.feature].astype("float64").to_numpy(dtype="float64", na_value=np.nan)
            x = np.where(np.isnan(x), row.fill_value, x)
            values[:, j] = np.log1p(np.maximum(x, 0.0)) if row.transform == "log1p" else x
        z = (values - pre["center"].to_numpy()) / pre["scale"].to_numpy() - pre["pca_mean"].to_numpy()
        loadings = (
            self.projection.pivot_table(index="feature", columns="component", values="loading", aggfunc="sum")
            .reindex(index=pre["feature"])
            .fillna(0.0)
            .sort_index(axis=1)
        )
        return ids, z @ loadings.to_numpy()

    def _item_scores(
        self,
        item_features: list[str],
        items: ItemPatternSource | ItemMatrix | None,
        ids: pd.Series,
        item_columns: ItemColumns,
    ) -> dict[str, np.ndarray]:
        if items is None:
            raise SegmentationInputError("the model uses the item pattern: pass the customers' items")
        customer, item, lines = item_columns
        matrix = (
            items
            if isinstance(items, ItemMatrix)
            else build_item_matrix(items, ids, customer_column=customer, item_column=item, lines_column=lines)
        )
        wide = self.item_components.pivot_table(
            index="item", columns="feature", values="loading", aggfunc="sum"
        ).reindex(columns=item_features)
        cells = matrix.over(wide.index.astype(str).tolist())
        cells.data = np.log1p(np.maximum(cells.data, 0.0))
        cells = normalize(cells, norm="l2", axis=1)
        scores = np.asarray(cells @ wide.fillna(0.0).to_numpy())
        return {feature: scores[:, c] for c, feature in enumerate(item_features)}

    def centers(self) -> np.ndarray:
        """Model-space centres, one row per segment in :attr:`segment_ids` order."""
        wide = self.model_centroids.pivot_table(
            index="segment_id", columns="component", values="center", aggfunc="sum"
        ).sort_index()
        return wide.sort_index(axis=1).to_numpy()

    def predict(
        self,
        features: pd.DataFrame,
        items: ItemPatternSource | ItemMatrix | None = None,
        *,
        id_column: str = "customer_id",
        item_columns: ItemColumns = ("customer_id", "stock_code", "lines"),
    ) -> pd.DataFrame:
        """Segment, distance to its centre, margin to the next and outlier flag per customer."""
        ids, points = self.model_space(features, items, id_column=id_column, item_columns=item_columns)
        segment_ids = self.segment_ids
        labels, distance, margin = nearest_centroid(points, self.centers())
        thresholds = (
            self.model_segments.set_index("segment_id")["outlier_distance_threshold"]
            .reindex(segment_ids)
            .to_numpy(dtype="float64")
        )
        return pd.DataFrame(
            {
                id_column: ids,
                "segment_id": segment_ids[labels],
                "distance_to_centroid": distance,
                "margin_to_next_centroid": margin,
                "is_outlier": distance > thresholds[labels],
            }
        )

    def distances(
        self,
        features: pd.DataFrame,
        items: ItemPatternSource | ItemMatrix | None = None,
        *,
        id_column: str = "customer_id",
        item_columns: ItemColumns = ("customer_id", "stock_code", "lines"),
    ) -> pd.DataFrame:
        """Distance of every customer to every segment centre (customers x segment ids)."""
        ids, points = self.model_space(features, items, id_column=id_column, item_columns=item_columns)
        return pd.DataFrame(
            np.sqrt(squared_distances(points, self.centers())), index=ids, columns=self.segment_ids
        )
