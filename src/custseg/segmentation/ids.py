"""Segment id numbering: deterministic ordering by a business feature, and keeping ids stable
across refits by Hungarian matching against the previous run's centroids."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from custseg.segmentation.errors import SegmentationInputError

MATCHING_COLUMNS = (
    "new_segment_id",
    "previous_segment_id",
    "centroid_distance",
    "decision",
)


def order_segments(order_means: np.ndarray, sizes: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """1-based ids per cluster index: the highest mean of the id-order feature gets id 1.

    Ties (exactly equal means) go to the larger segment, then to the lexicographically
    smaller centre, so the numbering is fully deterministic.
    """
    rank = sorted(
        range(len(order_means)),
        key=lambda i: (-order_means[i], -sizes[i], tuple(np.asarray(centers[i]).tolist())),
    )
    ids = np.empty(len(order_means), dtype="int64")
    ids[rank] = np.arange(1, len(order_means) + 1)
    return ids


def _previous_matrix(
    previous: pd.DataFrame, features: Sequence[str], scale_original
) -> tuple[np.ndarray, np.ndarray]:
    """Previous centres as (segments x features) in the *current* scaled space.

    Uses ``center_original`` re-scaled with the current preprocessing when available (so a
    drift of the scaler is not mistaken for a moved segment), else ``center_scaled``.
    """
    use_original = "center_original" in previous and previous["center_original"].notna().all()
    column = "center_original" if use_original else "center_scaled"
    wide = previous.pivot_table(
        index="segment_id", columns="feature", values=column, aggfunc="first"
    ).sort_index()
    values = wide.loc[:, list(features)].to_numpy(dtype="float64")
    if use_original:
        values = scale_original(values)
    return wide.index.to_numpy(dtype="int64"), values


def match_segment_ids(
    centers_scaled: np.ndarray,
    features: Sequence[str],
    ordered_ids: np.ndarray,
    previous: pd.DataFrame | None,
    *,
    scale_original,
    max_distance: float | None = None,
    source: str | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Final segment id per cluster index, and the matching table.

    ``centers_scaled`` are the new centres (clusters x ``features``), ``ordered_ids`` the
    ids from :func:`order_segments`; ``scale_original(values, features)`` maps original units
    of ``features`` to the current scaled space. Without ``previous`` (long frame: segment_id, feature,
    center_scaled[, center_original][, source]) the ordered ids are used. When the previous
    feature set equals ``features``, the Hungarian algorithm pairs new and previous segments
    minimising total Euclidean centroid distance; a pair further apart than
    ``max_distance`` (if set) is not a match. Matched segments keep their previous id,
    unmatched new segments get ids after the largest previous id (in ordered-id order), and
    unmatched previous segments are listed as "retired".
    """

    def table(rows: list[dict]) -> pd.DataFrame:
        out = pd.DataFrame(rows, columns=list(MATCHING_COLUMNS))
        return out.astype(
            {
                "new_segment_id": "Int64",
                "previous_segment_id": "Int64",
                "centroid_distance": "float64",
                "decision": "str",
            }
        )

    def ordered(decision: str) -> tuple[np.ndarray, pd.DataFrame]:
        rows = [
            {
                "new_segment_id": int(i),
                "previous_segment_id": pd.NA,
                "centroid_distance": np.nan,
                "decision": decision,
            }
            for i in sorted(ordered_ids)
        ]
        return ordered_ids.copy(), table(rows)

    if previous is None or len(previous) == 0:
        return ordered("ordered")
    missing = {"segment_id", "feature", "center_scaled"} - set(previous.columns)
    if missing:
        raise SegmentationInputError(f"previous_centroids is missing column(s) {sorted(missing)}")
    if source is not None and "source" in previous.columns:
        previous = previous[previous["source"] == source]
        if previous.empty:
            return ordered("ordered")
    if set(previous["feature"]) != set(features):
        return ordered("ordered_feature_set_changed")

    match_features = [f for f in features if not f.startswith("item_svd_")]
    cols = [list(features).index(f) for f in match_features]
    prev_ids, prev_centers = _previous_matrix(
        previous, match_features, lambda values: scale_original(values, match_features)
    )
    new_centers = centers_scaled[:, cols]
    cost = np.sqrt(((new_centers[:, None, :] - prev_centers[None, :, :]) ** 2).sum(axis=2))
    # rows in ordered-id order so that ties resolve deterministically
    row_order = np.argsort(ordered_ids, kind="stable")
    r, c = linear_sum_assignment(cost[row_order])
    final = np.zeros(len(ordered_ids), dtype="int64")
    rows: list[dict] = []
    matched_prev: set[int] = set()
    for ri, ci in zip(r, c, strict=True):
        cluster = row_order[ri]
        if max_distance is not None and cost[cluster, ci] > max_distance:
            continue
        final[cluster] = prev_ids[ci]
        matched_prev.add(int(ci))
        rows.append(
            {
                "new_segment_id": int(prev_ids[ci]),
                "previous_segment_id": int(prev_ids[ci]),
                "centroid_distance": float(cost[cluster, ci]),
                "decision": "kept",
            }
        )
    next_id = int(prev_ids.max()) + 1
    for cluster in row_order:
        if final[cluster] == 0:
            final[cluster] = next_id
            nearest = int(np.argmin(cost[cluster]))
            rows.append(
                {
                    "new_segment_id": next_id,
                    "previous_segment_id": pd.NA,
                    "centroid_distance": float(cost[cluster, nearest]),
                    "decision": "new_id",
                }
            )
            next_id += 1
    for ci, prev_id in enumerate(prev_ids):
        if ci not in matched_prev:
            rows.append(
                {
                    "new_segment_id": pd.NA,
                    "previous_segment_id": int(prev_id),
                    "centroid_distance": np.nan,
                    "decision": "retired",
                }
            )
    frame = table(rows)
    frame = frame.sort_values(
        ["new_segment_id", "previous_segment_id"], na_position="last", kind="mergesort"
    ).reset_index(drop=True)
    return final, frame
