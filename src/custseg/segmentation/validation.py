"""Validation and canonicalisation of the customer feature frame.

Everything downstream works on :class:`PreparedInput`: rows sorted by customer id (so the
input row order never matters), features as one float64 matrix, the exclusion flag as a
boolean array. Problems raise :class:`SegmentationInputError` naming the column(s) and counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from custseg.segmentation.errors import SegmentationInputError
from custseg.segmentation.settings import SegmentationSettings


@dataclass(frozen=True)
class PreparedInput:
    """Canonical, id-sorted view of the input frame."""

    ids: pd.Series  # int64 or str, sorted ascending, unique, RangeIndex
    excluded: np.ndarray  # bool (n,)
    features: tuple[str, ...]
    raw: np.ndarray  # float64 (n, p) in ``features`` order; NaN only in excluded rows
    order_feature: str
    order_values: np.ndarray  # float64 (n,), raw values of the id-order feature
    warnings: tuple[str, ...]

    def frame(self) -> pd.DataFrame:
        """The feature values as a frame with the feature names as columns."""
        return pd.DataFrame(self.raw, columns=list(self.features))

    @property
    def n_rows(self) -> int:
        return len(self.ids)

    @property
    def fitted(self) -> np.ndarray:
        return ~self.excluded


def normalise_ids(values: pd.Series, *, name: str) -> pd.Series:
    """Ids as int64 when they are all integers, else as strings; nulls raise."""
    n_null = int(values.isna().sum())
    if n_null:
        raise SegmentationInputError(f"id column '{name}' has {n_null} null value(s)")
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if pd.api.types.is_bool_dtype(values.dtype):
        raise SegmentationInputError(f"id column '{name}' is boolean; expected ids")
    if kind == "integer":
        return values.astype("int64").reset_index(drop=True).rename(name)
    if kind == "floating":
        as_float = values.astype("float64")
        if np.all(np.mod(as_float.to_numpy(), 1.0) == 0.0):
            return as_float.astype("int64").reset_index(drop=True).rename(name)
    return values.astype("str").reset_index(drop=True).rename(name)


def _as_float_matrix(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    bad = [
        c
        for c in columns
        if not (pd.api.types.is_numeric_dtype(frame[c].dtype) or pd.api.types.is_bool_dtype(frame[c]))
    ]
    if bad:
        kinds = {c: str(frame[c].dtype) for c in bad}
        raise SegmentationInputError(f"feature column(s) are not numeric: {kinds}")
    if not columns:
        return np.empty((len(frame), 0))
    return np.column_stack(
        [frame[c].astype("float64").to_numpy(dtype="float64", na_value=np.nan) for c in columns]
    )


def _count_by_column(mask: np.ndarray, columns: tuple[str, ...]) -> dict[str, int]:
    counts = mask.sum(axis=0)
    return {c: int(n) for c, n in zip(columns, counts, strict=True) if n}


def prepare_input(
    frame: pd.DataFrame,
    settings: SegmentationSettings,
    *,
    id_column: str = "customer_id",
    exclude_column: str | None = "is_excluded_from_fit",
) -> PreparedInput:
    """Validate ``frame`` and return it sorted by id as arrays.

    The features are ``settings.features``, or every numeric column besides the id and
    exclusion columns and ``settings.exclude_features``. Rules (docs/segmentation.md): an
    empty frame, missing columns, null or duplicate ids, non-numeric or infinite feature
    values, NaN in fitted rows and negative values of a log1p feature in fitted rows raise
    :class:`SegmentationInputError`. NaN in excluded rows
    is allowed (filled with the fitted median at transform time) and reported as a warning.
    """
    if not isinstance(frame, pd.DataFrame):
        raise SegmentationInputError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise SegmentationInputError("input frame is empty (no customers)")
    needed = [id_column] + ([exclude_column] if exclude_column is not None else [])
    candidates = [c for c in frame.columns if c not in needed]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c].dtype) and not pd.api.types.is_bool_dtype(frame[c].dtype)
        for c in candidates
    ]
    features = settings.resolve_features([str(c) for c in candidates], numeric)
    if not features:
        raise SegmentationInputError(
            f"no feature columns: the frame has no numeric column besides {needed} "
            f"(exclude_features: {list(settings.exclude_features)})"
        )
    not_features = [f for f in settings.log1p_features if f not in features]
    if not_features:
        raise SegmentationInputError(
            f"log1p feature(s) {not_features} are not among the features {list(features)}"
        )
    order_feature = settings.id_order_feature or features[0]
    needed += list(features)
    if order_feature not in features:
        needed.append(order_feature)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SegmentationInputError(
            f"missing column(s) {missing}; available: {sorted(map(str, frame.columns))}"
        )

    ids = normalise_ids(frame[id_column], name=id_column)
    duplicated = ids.duplicated(keep=False)
    if duplicated.any():
        examples = sorted(ids[duplicated].unique().tolist())[:5]
        raise SegmentationInputError(
            f"id column '{id_column}' has {int(ids.duplicated().sum())} duplicate id(s), e.g. {examples}"
        )
    order = np.argsort(ids.to_numpy(), kind="stable")
    ids = ids.iloc[order].reset_index(drop=True)

    if exclude_column is None:
        excluded = np.zeros(len(frame), dtype=bool)
    else:
        flag = frame[exclude_column]
        n_null = int(flag.isna().sum())
        if n_null:
            raise SegmentationInputError(f"exclusion column '{exclude_column}' has {n_null} null value(s)")
        values = set(pd.unique(flag.to_numpy()).tolist())
        if not values <= {True, False}:
            raise SegmentationInputError(
                f"exclusion column '{exclude_column}' must be boolean, got values like "
                f"{sorted(map(str, values))[:5]}"
            )
        excluded = flag.to_numpy().astype(bool)[order]

    raw = _as_float_matrix(frame, list(features))[order]
    order_values = _as_float_matrix(frame, [order_feature])[order, 0]
    fitted = ~excluded
    warnings: list[str] = []

    infinite = _count_by_column(np.isinf(raw), features)
    if infinite:
        raise SegmentationInputError(f"infinite values in feature column(s) (count): {infinite}")
    nan_fit = _count_by_column(np.isnan(raw[fitted]), features)
    if nan_fit:
        raise SegmentationInputError(
            f"missing (NaN/null) values in fitted rows of feature column(s) (count): {nan_fit}; "
            "impute upstream or mark the rows as excluded from fit"
        )
    nan_excluded = _count_by_column(np.isnan(raw[excluded]), features)
    if nan_excluded:
        warnings.append(f"missing values in excluded rows replaced by the fitted median: {nan_excluded}")
    if order_feature not in features:
        bad = np.isnan(order_values[fitted]) | np.isinf(order_values[fitted])
        if bad.any():
            raise SegmentationInputError(
                f"id_order_feature '{order_feature}' has {int(bad.sum())} missing or infinite "
                "value(s) in fitted rows"
            )
    log_idx = [features.index(f) for f in settings.log1p_features]
    if log_idx:
        negative = _count_by_column(raw[fitted][:, log_idx] < 0, settings.log1p_features)
        if negative:
            raise SegmentationInputError(
                f"negative values in fitted rows of log1p feature(s) (count): {negative}; "
                "log1p needs values >= 0 (remove the column from log1p_features or exclude rows)"
            )
        negative_excluded = _count_by_column(raw[excluded][:, log_idx] < 0, settings.log1p_features)
        if negative_excluded:
            warnings.append(
                f"negative values of log1p features in excluded rows clipped to 0: {negative_excluded}"
            )
    return PreparedInput(
        ids=ids,
        excluded=excluded,
        features=features,
        raw=raw,
        order_feature=order_feature,
        order_values=order_values,
        warnings=tuple(warnings),
    )
