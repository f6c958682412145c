"""Read what the docs pictures need from the built warehouse (opened read-only, so a site can
be generated while someone else queries the file)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

DEFAULT_WAREHOUSE = Path("warehouse/build.duckdb")
# Sources whose model uses item-purchase features, and the long relation predict_segment reads.
ITEM_RELATIONS = {"online_retail": "marts.online_retail_customer_item_purchases"}
# Display order and names; any other source follows, alphabetically, under its own name.
SOURCE_LABELS = {"smartcart": "SmartCart", "online_retail": "Online retailer"}


def warehouse_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse file: the argument, else CUSTSEG_DUCKDB_PATH, else the build default."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("CUSTSEG_DUCKDB_PATH") or DEFAULT_WAREHOUSE)


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the built warehouse read-only; a clear error when it has not been built yet."""
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run dbt build first (or set CUSTSEG_DUCKDB_PATH)")
    return duckdb.connect(str(path), read_only=True)


def source_label(source: str) -> str:
    """How a source is named in headings and titles."""
    return SOURCE_LABELS.get(source, source.replace("_", " ").capitalize())


def _frame(connection: duckdb.DuckDBPyConnection, sql: str, *params: object) -> pd.DataFrame:
    return connection.execute(sql, list(params)).df()


def sources(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The sources that have segments, in display order."""
    rows = connection.execute("select distinct source from marts.segment_profiles").fetchall()
    found = [row[0] for row in rows]
    known = [source for source in SOURCE_LABELS if source in found]
    return known + sorted(set(found) - set(known))


@dataclass(frozen=True)
class SourceTables:
    """One source's rows of the segment marts the pictures and captions are drawn from."""

    source: str
    selection: pd.DataFrame
    profiles: pd.DataFrame
    feature_profiles: pd.DataFrame
    feature_order: list[str]

    @property
    def label(self) -> str:
        return source_label(self.source)

    @property
    def chosen(self) -> pd.Series:
        """The chosen row of segment_model_selection."""
        return self.selection.loc[self.selection["is_chosen"]].iloc[0]

    @property
    def model_version(self) -> str:
        return str(self.profiles["model_version"].iloc[0])


def source_tables(connection: duckdb.DuckDBPyConnection, source: str) -> SourceTables:
    """Read one source's model selection, profiles and feature profiles, in a fixed order."""
    selection = _frame(
        connection,
        "select k, inertia, silhouette, stability, min_segment_share, customers_evaluated, is_chosen,"
        " choice_reason from marts.segment_model_selection where source = ? order by k",
        source,
    )
    profiles = _frame(
        connection,
        "select segment_id, segment_name, customers, customer_share, revenue, revenue_share, outliers,"
        " top_features, suggested_action, model_version"
        " from marts.segment_profiles where source = ? order by segment_id",
        source,
    )
    feature_profiles = _frame(
        connection,
        "select segment_id, feature, z_score from marts.segment_feature_profiles"
        " where source = ? order by segment_id, feature",
        source,
    )
    positions = _frame(
        connection,
        "select feature from segmentation.fit_segment_preprocessing where source = ? order by position",
        source,
    )["feature"].tolist()
    profiled = sorted(set(feature_profiles["feature"]))
    order = [f for f in positions if f in profiled] + [f for f in profiled if f not in positions]
    return SourceTables(source, selection, profiles, feature_profiles, order)


@dataclass(frozen=True)
class ModelSpace:
    """Customers in the clusterer's model space, replayed from the fitted tables like the SQL
    macro predict_segment does, with the segment centres in the same space."""

    customers: pd.DataFrame  # customer_id, segment_id (as assigned by the build)
    coordinates: np.ndarray  # one row per customer, one column per model-space component
    centroid_ids: np.ndarray  # segment ids of the rows of ``centroids``
    centroids: np.ndarray  # one row per segment
    total_customers: int  # customers of the source before sampling

    def nearest_segment(self) -> np.ndarray:
        """Each customer's nearest centre (ties to the smaller id), as predict_segment scores."""
        distances = ((self.coordinates[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        return self.centroid_ids[np.argmin(distances, axis=1)]

    def agreement(self) -> float:
        """Share of customers whose replayed nearest centre is their assigned segment."""
        return float(np.mean(self.nearest_segment() == self.customers["segment_id"].to_numpy()))


def _wide(long: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    """Long (one row per cell, each cell once) to wide."""
    return long.pivot_table(index=index, columns=columns, values=values, aggfunc="first", dropna=False)


def _sample(assigned: pd.DataFrame, max_customers: int, random_state: int) -> pd.DataFrame:
    """At most max_customers rows, drawn with a fixed seed from rows in customer_id order."""
    if len(assigned) <= max_customers:
        return assigned
    rng = np.random.default_rng(random_state)
    keep = np.sort(rng.choice(len(assigned), size=max_customers, replace=False))
    return assigned.iloc[keep].reset_index(drop=True)


def _item_features(connection: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """The item-pattern components per customer (long: customer_id, feature, value)."""
    relation = ITEM_RELATIONS.get(source)
    if relation is None:
        raise ValueError(
            f"{source} uses item-pattern features but custseg.docs knows no item relation for it"
        )
    return _frame(
        connection,
        f"""
        with components as (
            select feature, cast(item as varchar) as item, loading
            from segmentation.fit_segment_item_components where source = ?
        ),
        item_values as (
            select customer_id, stock_code as item, ln(1 + purchase_lines) as item_value
            from {relation} where stock_code in (select item from components)
        ),
        norms as (
            select customer_id, sqrt(sum(item_value * item_value)) as norm
            from item_values group by customer_id
        )
        select item_values.customer_id, components.feature,
            sum(item_values.item_value / norms.norm * components.loading) as value
        from item_values
        inner join norms on item_values.customer_id = norms.customer_id
        inner join components on item_values.item = components.item
        group by item_values.customer_id, components.feature
        """,
        source,
    )


def _raw_values(
    connection: duckdb.DuckDBPyConnection, source: str, customers: pd.DataFrame, preprocessing: pd.DataFrame
) -> pd.DataFrame:
    """The model's input values for the given customers, one column per preprocessing feature."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", source):
        raise ValueError(f"unexpected source name {source!r}: expected a plain lower-case identifier")
    plain = preprocessing.loc[preprocessing["transform"] != "item_svd", "feature"].tolist()
    columns = ", ".join(f'"{name}"' for name in plain)
    features = _frame(connection, f"select customer_id, {columns} from marts.customer_features_{source}")
    values = customers[["customer_id"]].merge(features, on="customer_id", how="left")
    if (preprocessing["transform"] == "item_svd").any():
        items = _wide(_item_features(connection, source), "customer_id", "feature", "value")
        values = values.merge(items, left_on="customer_id", right_index=True, how="left")
    return values.reindex(columns=["customer_id", *preprocessing["feature"]])


def _scaled(values: pd.DataFrame, preprocessing: pd.DataFrame) -> np.ndarray:
    """Fill, log1p, scale and centre for the projection, exactly as predict_segment."""
    matrix = values[preprocessing["feature"].tolist()].to_numpy(dtype=float)
    matrix = np.where(np.isnan(matrix), preprocessing["fill_value"].to_numpy(dtype=float), matrix)
    log1p = (preprocessing["transform"] == "log1p").to_numpy()
    matrix[:, log1p] = np.log1p(np.maximum(matrix[:, log1p], 0.0))
    centre = preprocessing["center"].to_numpy(dtype=float)
    scale = preprocessing["scale"].to_numpy(dtype=float)
    return (matrix - centre) / scale - preprocessing["pca_mean"].to_numpy(dtype=float)


def model_space(
    connection: duckdb.DuckDBPyConnection, source: str, *, max_customers: int = 5000, random_state: int = 42
) -> ModelSpace:
    """A fixed sample of the source's customers and the segment centres in model space."""
    preprocessing = _frame(
        connection,
        "select feature, transform, fill_value, center, scale, pca_mean"
        " from segmentation.fit_segment_preprocessing where source = ? order by position",
        source,
    )
    projection = _frame(
        connection,
        "select feature, component, loading from segmentation.fit_segment_projection where source = ?",
        source,
    )
    loadings = _wide(projection, "feature", "component", "loading")
    loadings = loadings.reindex(index=preprocessing["feature"]).fillna(0.0).sort_index(axis=1)
    centres = _frame(
        connection,
        "select segment_id, component, center from segmentation.fit_segment_model_centroids where source = ?",
        source,
    )
    centroids = _wide(centres, "segment_id", "component", "center")
    centroids = centroids.reindex(columns=loadings.columns).sort_index()
    assigned = _frame(
        connection,
        "select customer_id, segment_id from marts.customer_segments where source = ? order by customer_id",
        source,
    )
    customers = _sample(assigned, max_customers, random_state)
    coordinates = _scaled(_raw_values(connection, source, customers, preprocessing), preprocessing)
    return ModelSpace(
        customers=customers,
        coordinates=coordinates @ loadings.to_numpy(dtype=float),
        centroid_ids=centroids.index.to_numpy(),
        centroids=centroids.to_numpy(dtype=float),
        total_customers=len(assigned),
    )
