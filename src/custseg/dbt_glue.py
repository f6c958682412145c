"""What the dbt Python models of the segmentation share: read the relations dbt hands
them, run :func:`custseg.segmentation.run_segmentation` once per source, and return one
output table for all sources with explicit dtypes.

Each Python model asks for one table of the result. The results are memoised in-process
under a fingerprint of the inputs that DuckDB computes without moving any data (row count
and a sum of row hashes), so only the first model in a ``dbt build`` reads the relations and
fits; the others take their table from memory. The features are read into pandas (one row
per customer); the long item relation is streamed as Arrow record batches of the columns the
settings name, which the segmentation reads once into integer codes, never into pandas.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping
from typing import Any, Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from custseg.segmentation import ItemPatternSettings, SegmentationResult, run_segmentation

_RESULTS: dict[str, dict[str, SegmentationResult]] = {}
_LOCK = threading.Lock()
# Rows per Arrow batch asked of DuckDB for the item relation (DuckDB may send smaller ones).
_ITEM_BATCH_ROWS = 1 << 20


class Relation(Protocol):
    """The part of a DuckDB relation (what ``dbt.ref`` returns) that is used here."""

    def df(self) -> pd.DataFrame: ...

    def query(self, virtual_table_name: str, sql_query: str) -> Any: ...

    def select(self, *columns: Any) -> Relation: ...

    def to_arrow_reader(self, batch_size: int) -> pa.RecordBatchReader: ...


def segmentation_table(
    table: str,
    *,
    settings: Mapping[str, Mapping[str, Any]],
    features: Mapping[str, Relation],
    item_patterns: Mapping[str, Relation] | None = None,
    previous_centroids: Relation | None = None,
) -> pd.DataFrame:
    """One output table (``assignments``, ``centroids``, ...) of every source's segmentation.

    ``settings`` maps each source to its segmentation settings (dbt_project.yml, meta
    ``segmentation``); ``features`` maps it to its feature relation; ``item_patterns`` to
    its long item-purchase relation, for sources whose settings enable the item pattern;
    ``previous_centroids`` is the centroids table the warehouse held before this build.
    Customer ids are returned as text, so that the sources share one column type.
    """
    missing = sorted(set(features) - set(settings))
    if missing:
        raise ValueError(f"no segmentation settings for source(s) {missing} in dbt_project.yml")
    item_patterns = item_patterns or {}
    key = _inputs_key(settings, features, item_patterns, previous_centroids)
    with _LOCK:  # dbt runs Python models in threads: the first one fits, the others wait
        if key not in _RESULTS:
            _RESULTS.clear()
            _RESULTS[key] = _segment_every_source(settings, features, item_patterns, previous_centroids)
        results = _RESULTS[key]
    frames = [result.table(table) for _, result in sorted(results.items())]
    combined = pd.concat(frames, ignore_index=True)
    if "customer_id" in combined.columns:
        combined["customer_id"] = combined["customer_id"].astype("string")
    return _with_explicit_dtypes(combined)


def _segment_every_source(
    settings: Mapping[str, Mapping[str, Any]],
    features: Mapping[str, Relation],
    item_patterns: Mapping[str, Relation],
    previous_centroids: Relation | None,
) -> dict[str, SegmentationResult]:
    previous = previous_centroids.df() if previous_centroids is not None else None
    results = {}
    for source in sorted(features):
        source_settings = settings[source]
        frame = features[source].df()
        item_settings = ItemPatternSettings.from_mapping(source_settings.get("item_pattern"))
        item_pattern = None
        if item_settings.enabled:
            if source not in item_patterns:
                raise ValueError(f"the item pattern is enabled for {source} but no item relation was given")
            # opened last: while its result is open, the connection runs no other query
            item_pattern = _item_reader(item_patterns[source], item_settings)
        with item_pattern if item_pattern is not None else contextlib.nullcontext():
            results[source] = run_segmentation(
                frame,
                source_settings,
                source=source,
                item_pattern=item_pattern,
                previous_centroids=_previous_for(previous, source),
            )
    return results


def _item_reader(relation: Relation, item_settings: ItemPatternSettings) -> pa.RecordBatchReader:
    """The columns of the item relation that the segmentation reads (customer id, item, lines
    and, for ``value: quantity``, quantity) as a stream of Arrow record batches."""
    columns = ["customer_id", item_settings.item_column, item_settings.lines_column]
    if item_settings.value == "quantity":
        columns.append(item_settings.quantity_column)
    projected = relation.select(*[duckdb.ColumnExpression(column) for column in columns])
    return projected.to_arrow_reader(batch_size=_ITEM_BATCH_ROWS)


def _inputs_key(
    settings: Mapping[str, Mapping[str, Any]],
    features: Mapping[str, Relation],
    item_patterns: Mapping[str, Relation],
    previous_centroids: Relation | None,
) -> str:
    """The settings and a fingerprint of every input relation, computed inside DuckDB."""
    relations = {f"features:{name}": relation for name, relation in features.items()}
    relations |= {f"items:{name}": relation for name, relation in item_patterns.items()}
    if previous_centroids is not None:
        relations["previous_centroids"] = previous_centroids
    fingerprints = {name: _fingerprint(relation) for name, relation in sorted(relations.items())}
    return json.dumps({"settings": settings, "inputs": fingerprints}, sort_keys=True, default=str)


def _fingerprint(relation: Relation) -> list[str]:
    """Row count and the sum of the rows' hashes: equal for equal contents, in any order."""
    rows, hash_sum = relation.query(
        "fingerprinted", "select count(*), sum(hash(fingerprinted)) from fingerprinted"
    ).fetchall()[0]
    return [str(rows), str(hash_sum)]


def _previous_for(previous: pd.DataFrame | None, source: str) -> pd.DataFrame | None:
    if previous is None:
        return None
    rows = previous[previous["source"] == source]
    return rows.reset_index(drop=True) if len(rows) else None


def _with_explicit_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas strings, nullable integers as Int64: stable DuckDB types."""
    converted = frame.copy()
    for column in converted.columns:
        dtype = converted[column].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            converted[column] = converted[column].astype("string")
    return converted
