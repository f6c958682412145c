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

from custseg.segmentation import ModelParameters

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
    model: pd.Series  # the source's row of segment_models

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
    model = _frame(
        connection,
        "select structure_verdict, structure_detail, silhouette, null_silhouette_mean, is_k_rule_fallback"
        " from marts.segment_models where source = ?",
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
        "select feature from marts.segment_model_features where source = ? order by feature_position",
        source,
    )["feature"].tolist()
    profiled = sorted(set(feature_profiles["feature"]))
    order = [f for f in positions if f in profiled] + [f for f in profiled if f not in positions]
    return SourceTables(source, selection, profiles, feature_profiles, order, model.iloc[0])


@dataclass(frozen=True)
class ModelSpace:
    """A sample of customers in the clusterer's model space, scored from the fitted model's
    tables (:class:`~custseg.segmentation.ModelParameters`, the Python twin of the SQL macro
    predict_segment), with the segment centres in the same space."""

    customers: pd.DataFrame  # customer_id, segment_id (as assigned by the build)
    coordinates: np.ndarray  # one row per customer, one column per model-space component
    centroid_ids: np.ndarray  # segment ids of the rows of ``centroids``
    centroids: np.ndarray  # one row per segment
    scored_ids: np.ndarray  # the segment the Python reference gives each customer
    total_customers: int  # customers of the source before sampling

    def agreement(self) -> float:
        """Share of customers whose Python-scored segment is the one the build assigned."""
        return float(np.mean(self.scored_ids == self.customers["segment_id"].to_numpy()))


def _sample(assigned: pd.DataFrame, max_customers: int, random_state: int) -> pd.DataFrame:
    """At most max_customers rows, drawn with a fixed seed from rows in customer_id order."""
    if len(assigned) <= max_customers:
        return assigned
    rng = np.random.default_rng(random_state)
    keep = np.sort(rng.choice(len(assigned), size=max_customers, replace=False))
    return assigned.iloc[keep].reset_index(drop=True)


def model_parameters(connection: duckdb.DuckDBPyConnection, source: str) -> ModelParameters:
    """One source's fitted model as the warehouse holds it (the segment_model_* marts)."""
    tables = {
        "preprocessing": "select feature, feature_position as position, transform, fill_value, center,"
        " scale, pca_mean from marts.segment_model_features where source = ?",
        "projection": "select feature, component, loading from marts.segment_model_projection"
        " where source = ?",
        "model_centroids": "select segment_id, component, center from marts.segment_model_centroids"
        " where source = ?",
        "item_components": "select feature, item, loading from marts.segment_model_items where source = ?",
        "model_segments": "select segment_id, outlier_distance_threshold from marts.segment_model_segments"
        " where source = ?",
    }
    return ModelParameters.from_tables(
        {name: _frame(connection, sql, source) for name, sql in tables.items()}
    )


def model_space(
    connection: duckdb.DuckDBPyConnection, source: str, *, max_customers: int = 5000, random_state: int = 42
) -> ModelSpace:
    """A fixed sample of the source's customers and the segment centres in model space."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", source):
        raise ValueError(f"unexpected source name {source!r}: expected a plain lower-case identifier")
    parameters = model_parameters(connection, source)
    assigned = _frame(
        connection,
        "select customer_id, segment_id from marts.customer_segments where source = ? order by customer_id",
        source,
    )
    customers = _sample(assigned, max_customers, random_state)
    connection.register("sampled_customers", customers[["customer_id"]])
    try:
        features = _frame(
            connection,
            f"select features.* from marts.customer_features_{source} as features"
            " inner join sampled_customers using (customer_id)",
        )
        items = None
        if source in ITEM_RELATIONS and len(parameters.item_components):
            items = _frame(
                connection,
                "select items.customer_id, items.stock_code, items.purchase_lines"
                f" from {ITEM_RELATIONS[source]} as items inner join sampled_customers using (customer_id)",
            )
    finally:
        connection.unregister("sampled_customers")
    columns = ("customer_id", "stock_code", "purchase_lines")
    ids, coordinates = parameters.model_space(features, items, item_columns=columns)
    scored = parameters.predict(features, items, item_columns=columns).set_index("customer_id")["segment_id"]
    order = pd.Index(ids.astype(str)).get_indexer(customers["customer_id"].astype(str))
    return ModelSpace(
        customers=customers,
        coordinates=coordinates[order],
        centroid_ids=parameters.segment_ids,
        centroids=parameters.centers(),
        scored_ids=scored.to_numpy()[order],
        total_customers=len(assigned),
    )


def _has_table(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def value_summary(connection: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame | None:
    """One source's rows of segment_value_summary (churn-risk bands and predicted value by
    segment), in segment order; None when the warehouse has no such table."""
    if not _has_table(connection, "marts", "segment_value_summary"):
        return None
    return _frame(
        connection,
        "select segment_id, segment_name, customers, high_risk_customers, medium_risk_customers,"
        " low_risk_customers, unknown_risk_customers, predicted_value, average_predicted_value"
        " from marts.segment_value_summary where source = ? order by segment_id",
        source,
    )


def last_transitions(connection: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame | None:
    """The cluster-segment moves into the source's last point of the segment history
    (segment_transitions), new customers included; None without a history."""
    if not _has_table(connection, "marts", "segment_transitions"):
        return None
    frame = _frame(
        connection,
        "select as_of_date, previous_as_of_date, from_segment_id, from_segment, to_segment_id, to_segment,"
        " customers, revenue_gbp from marts.segment_transitions"
        " where source = ? and segment_kind = 'cluster'"
        " and as_of_date = (select max(as_of_date) from marts.segment_transitions where source = ?)"
        " order by from_segment_id nulls first, to_segment_id",
        source,
        source,
    )
    for column in ("as_of_date", "previous_as_of_date"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame if len(frame) else None
