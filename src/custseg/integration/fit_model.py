"""What the dbt Python model ``fit_segmentation`` calls: read the relations dbt hands it, fit
every source once (:func:`custseg.segmentation.fit_segmentation`), and return the fitted
models as an Arrow table with one row per source and typed nested columns, which the SQL
models of ``models/marts/segmentation`` unnest.

The previous build's segment centroids come from the model's own previous table
(``dbt.this``), so segment ids survive a refresh without any hook.

A refresh keeps the previous fit of a source (its row, unchanged: SQL re-scores every customer
with it) unless a refit is asked for (var ``refit``), the source's settings changed, or the
drift (:func:`feature_drift`) is above the threshold (var ``segment_refit_drift_threshold``).
Every row says why it was fitted or kept (``refit_reason``) and the drift measured.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping
from typing import Any, Protocol

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from custseg.segmentation import TABLE_NAMES, SegmentationFit, SegmentationWarning, fit_segmentation

# The item relation's columns (the mart online_retail_customer_item_purchases).
ITEM_COLUMNS = ("customer_id", "stock_code", "purchase_lines")
# Rows per Arrow batch asked of DuckDB for the item relation (DuckDB may send smaller ones).
_ITEM_BATCH_ROWS = 1 << 20

_TEXT, _DOUBLE, _INT, _BOOL = pa.string(), pa.float64(), pa.int64(), pa.bool_()


def _rows(*fields: tuple[str, pa.DataType]) -> pa.DataType:
    return pa.list_(pa.struct([pa.field(name, kind) for name, kind in fields]))


NESTED_COLUMNS: dict[str, pa.DataType] = {
    "preprocessing": _rows(
        ("feature", _TEXT),
        ("position", _INT),
        ("transform", _TEXT),
        ("fill_value", _DOUBLE),
        ("center", _DOUBLE),
        ("scale", _DOUBLE),
        ("pca_mean", _DOUBLE),
    ),
    "projection": _rows(("feature", _TEXT), ("component", _INT), ("loading", _DOUBLE)),
    "model_centroids": _rows(("segment_id", _INT), ("component", _INT), ("center", _DOUBLE)),
    "item_components": _rows(("feature", _TEXT), ("item", _TEXT), ("loading", _DOUBLE)),
    "model_segments": _rows(
        ("segment_id", _INT),
        ("n_fitted", _INT),
        ("share_of_fitted", _DOUBLE),
        ("outlier_distance_threshold", _DOUBLE),
        ("order_feature", _TEXT),
        ("order_value", _DOUBLE),
    ),
    "centroids": _rows(
        ("segment_id", _INT),
        ("feature", _TEXT),
        ("center_scaled", _DOUBLE),
        ("center_original", _DOUBLE),
        ("mean_original", _DOUBLE),
    ),
    "model_selection": _rows(
        ("k", _INT),
        ("inertia", _DOUBLE),
        ("silhouette", _DOUBLE),
        ("calinski_harabasz", _DOUBLE),
        ("davies_bouldin", _DOUBLE),
        ("stability", _DOUBLE),
        ("min_segment_share", _DOUBLE),
        ("n_evaluated", _INT),
        ("is_chosen", _BOOL),
        ("choice_reason", _TEXT),
        ("algorithm", _TEXT),
    ),
    "comparison": _rows(
        ("clustering_a", _TEXT),
        ("clustering_b", _TEXT),
        ("k", _INT),
        ("n_customers_compared", _INT),
        ("adjusted_rand_index", _DOUBLE),
    ),
    "id_matching": _rows(
        ("new_segment_id", _INT),
        ("previous_segment_id", _INT),
        ("centroid_distance", _DOUBLE),
        ("decision", _TEXT),
    ),
    "customer_silhouettes": _rows(("customer_id", _TEXT), ("silhouette", _DOUBLE)),
}
assert tuple(NESTED_COLUMNS) == TABLE_NAMES

SUMMARY_COLUMNS: dict[str, pa.DataType] = {
    "source": _TEXT,
    "status": _TEXT,
    "model_version": _TEXT,
    "algorithm": _TEXT,
    "backend": _TEXT,
    "segments": _INT,
    "chosen_k": _INT,
    "choice_reason": _TEXT,
    "is_k_rule_fallback": _BOOL,
    "silhouette": _DOUBLE,
    "stability": _DOUBLE,
    "null_silhouette_mean": _DOUBLE,
    "null_silhouette_std": _DOUBLE,
    "structure_verdict": _TEXT,
    "structure_detail": _TEXT,
    "customers": _INT,
    "fitted_customers": _INT,
    "features": pa.list_(_TEXT),
    "dropped_features": pa.list_(_TEXT),
    "warnings": pa.list_(_TEXT),
    "settings_hash": _TEXT,
    "refit_reason": _TEXT,
    "drift": _DOUBLE,
    "drift_feature": _TEXT,
}

SCHEMA = pa.schema([*SUMMARY_COLUMNS.items(), *NESTED_COLUMNS.items()])
"""One row per source: the fit's summary, then one list-of-structs column per model table."""


class Relation(Protocol):
    """The part of a DuckDB relation (what ``dbt.ref`` returns) that is used here."""

    def df(self) -> pd.DataFrame: ...

    def select(self, *columns: Any) -> Relation: ...

    def to_arrow_reader(self, batch_size: int) -> pa.RecordBatchReader: ...


def fit_sources(
    settings: Mapping[str, Mapping[str, Any]],
    features: Mapping[str, Relation],
    items: Mapping[str, Relation],
    previous: pd.DataFrame | None = None,
    previous_fits: Mapping[str, dict[str, Any]] | None = None,
    refit: bool = True,
    drift_threshold: float = 0.2,
) -> pa.Table:
    """Fit every source in ``features`` with its ``settings`` (dbt_project.yml, meta
    ``segmentation``); ``items`` holds the item relation of the sources whose settings use
    the item pattern; ``previous`` is the previous build's centroids (:func:`previous_centroids`).
    A source without customers (an empty input, or ``dbt run --empty``) gets a row with
    status ``no_customers`` and empty tables.

    ``previous_fits`` (:func:`previous_fit_rows`): the previous build's row per source. Unless
    ``refit``, a source whose settings are unchanged and whose drift is at most
    ``drift_threshold`` keeps that row (its model), with this build's drift and reason."""
    missing = sorted(set(features) - set(settings))
    if missing:
        raise ValueError(f"no segmentation settings for source(s) {missing} in dbt_project.yml")
    rows = []
    for source in sorted(features):
        frame = features[source].df()
        if frame.empty:
            rows.append({"source": source, "status": "no_customers", "customers": 0, "fitted_customers": 0})
            continue
        settings_hash = _settings_hash(settings[source])
        kept = (previous_fits or {}).get(source)
        drift, drift_feature, reason = None, None, "first fit"
        if kept is not None:
            drift, drift_feature = feature_drift(frame, kept["preprocessing"] or [], settings[source])
            if refit:
                reason = "refit asked for (var refit)"
            elif kept.get("settings_hash") != settings_hash:
                reason = "settings changed"
            elif drift is None:
                reason = "drift not measurable (a model feature is missing)"
            elif drift > drift_threshold:
                reason = f"drift {drift:.3f} ({drift_feature}) above {drift_threshold:g}"
            else:
                row = dict(kept)
                row.update(
                    refit_reason=f"kept: drift {drift:.3f} ({drift_feature}) at most {drift_threshold:g}",
                    drift=drift,
                    drift_feature=drift_feature,
                )
                rows.append(row)
                continue
        uses_items = (settings[source].get("item_pattern") or {}).get("enabled", False)
        reader = None
        if uses_items:
            if source not in items:
                raise ValueError(f"the item pattern is enabled for {source} but no item relation was given")
            projected = items[source].select(*[duckdb.ColumnExpression(c) for c in ITEM_COLUMNS])
            reader = projected.to_arrow_reader(batch_size=_ITEM_BATCH_ROWS)
        with warnings.catch_warnings():  # they are in the row, and the build prints them
            warnings.simplefilter("ignore", SegmentationWarning)
            fit = fit_segmentation(
                frame,
                settings[source],
                source=source,
                items=reader,
                item_columns=ITEM_COLUMNS,
                previous_centroids=_for_source(previous, source),
            )
        row = fit_row(fit)
        row.update(settings_hash=settings_hash, refit_reason=reason, drift=drift, drift_feature=drift_feature)
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def feature_drift(
    frame: pd.DataFrame,
    preprocessing: list[Mapping[str, Any]],
    settings: Mapping[str, Any],
    exclude_column: str = "is_excluded_from_fit",
) -> tuple[float | None, str | None]:
    """How far the customers moved since the fit: the largest shift, over the model's own
    features (not the item scores), of the feature's centre among the fitted customers (its mean
    with the standard scaler, its median with the robust one, after the model's log1p and fill
    value), in units of the fit's scale (standard deviations with the standard scaler). Returns
    (drift, feature), or (None, None) when a model feature is missing from ``frame``."""
    robust = settings.get("scaler", "standard") == "robust"
    fitted = frame
    if exclude_column in frame.columns:
        fitted = frame[~frame[exclude_column].fillna(False).astype(bool)]
    worst, worst_feature = 0.0, None
    for parameter in preprocessing:
        if parameter["transform"] == "item_svd":
            continue
        feature = parameter["feature"]
        if feature not in fitted.columns:
            return None, None
        values = pd.to_numeric(fitted[feature], errors="coerce").astype("float64")
        if parameter["fill_value"] is not None:
            values = values.fillna(parameter["fill_value"])
        if parameter["transform"] == "log1p":
            values = np.log1p(np.maximum(values, 0.0))
        if not len(values) or not parameter["scale"]:
            continue
        centre = float(values.median() if robust else values.mean())
        # Rounded: the sums behind it depend on the order rows arrive in, in the last bits (ties
        # then go to the first feature, in the model's order).
        shift = round(abs(centre - float(parameter["center"])) / float(parameter["scale"]), 6)
        if worst_feature is None or shift > worst:
            worst, worst_feature = shift, feature
    return worst, worst_feature


def _settings_hash(settings: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fit_row(fit: SegmentationFit) -> dict[str, Any]:
    """A fitted source as one row of :data:`SCHEMA`."""
    row = {"status": "fitted", **fit.summary()}
    for name in TABLE_NAMES:
        row[name] = _records(fit.tables[name])
    return {key: _plain(value) for key, value in row.items()}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in record.items()} for record in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    """Python scalars for Arrow; NaN and pandas' NA as null."""
    if isinstance(value, list):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def previous_centroids(session: duckdb.DuckDBPyConnection, this: Any) -> pd.DataFrame | None:
    """The centroids the model's own table held before this build (``this`` is ``dbt.this``),
    or None on a first build or when that table is not in this shape."""
    exists = session.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = ? and table_schema = ? and table_name = ?",
        [this.database, this.schema, this.identifier],
    ).fetchall()[0][0]
    if not exists:
        return None
    try:
        rows = session.sql(f"select source, unnest(centroids, recursive := true) from {this}").df()
    except duckdb.Error:
        return None  # a table from another version of this model: start afresh
    return rows if len(rows) else None


def previous_fit_rows(session: duckdb.DuckDBPyConnection, this: Any) -> dict[str, dict[str, Any]]:
    """The previous build's fitted row per source (``this`` is ``dbt.this``), in :data:`SCHEMA`;
    empty on a first build or when that table is not in this shape (then every source is fitted)."""
    exists = session.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = ? and table_schema = ? and table_name = ?",
        [this.database, this.schema, this.identifier],
    ).fetchall()[0][0]
    if not exists:
        return {}
    try:
        table = session.sql(f"select * from {this} where status = 'fitted'").to_arrow_table()
        table = table.select(SCHEMA.names).cast(SCHEMA)
    except (duckdb.Error, KeyError, ValueError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return {}
    return {row["source"]: row for row in table.to_pylist()}


def _for_source(previous: pd.DataFrame | None, source: str) -> pd.DataFrame | None:
    if previous is None:
        return None
    rows = previous[previous["source"] == source]
    return rows.reset_index(drop=True) if len(rows) else None
