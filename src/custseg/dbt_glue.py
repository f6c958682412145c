"""What the dbt Python models of the segmentation share: read the relations dbt hands
them, run :func:`custseg.segmentation.run_segmentation` once per source, and return one
output table for all sources with explicit dtypes.

Each Python model asks for one table of the result; the fit is memoised in-process, so
only the first model in a ``dbt build`` fits anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pandas as pd

from custseg.segmentation import run_segmentation


class Relation(Protocol):
    """The part of a DuckDB relation (what ``dbt.ref`` returns) that is used here."""

    def df(self) -> pd.DataFrame: ...


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
    previous = previous_centroids.df() if previous_centroids is not None else None
    frames = []
    for source in sorted(features):
        source_settings = settings[source]
        uses_items = bool((source_settings.get("item_pattern") or {}).get("enabled"))
        item_pattern = None
        if uses_items:
            if not item_patterns or source not in item_patterns:
                raise ValueError(f"the item pattern is enabled for {source} but no item relation was given")
            item_pattern = item_patterns[source].df()
        result = run_segmentation(
            features[source].df(),
            source_settings,
            source=source,
            item_pattern=item_pattern,
            previous_centroids=_previous_for(previous, source),
        )
        frames.append(result.table(table))
    combined = pd.concat(frames, ignore_index=True)
    if "customer_id" in combined.columns:
        combined["customer_id"] = combined["customer_id"].astype("string")
    return _with_explicit_dtypes(combined)


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
