"""Feature preprocessing: log1p -> scaling -> optional PCA, and the item-pattern SVD features.

Both classes are estimator-shaped (``fit`` learns on the fitted customers, ``transform``
applies to any customer) and expose their learnt parameters as plain arrays so the same
arithmetic can be written in SQL (see :mod:`custseg.segmentation` for the formulas). The
item pattern is read once, batch by batch, into an :class:`ItemMatrix` of integer codes and
sums that fitting, transforming and the model version all use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.preprocessing import normalize

from custseg.segmentation.errors import SegmentationInputError
from custseg.segmentation.inputs import normalise_ids

# IQR of a normal distribution in units of its standard deviation.
_IQR_PER_STD = 1.3489795003921634

ItemPatternSource = pd.DataFrame | pa.Table | pa.RecordBatchReader | Iterable[pa.RecordBatch]
"""What an item pattern may be given as (see :func:`build_item_matrix`)."""

# Arrow item rows are processed in chunks of at least this many rows, and at least this many
# rows per customer: the id lookup builds a hash table of all customers per chunk.
_MIN_CHUNK_ROWS = 1 << 21
_CHUNK_ROWS_PER_CUSTOMER = 4


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


@dataclass(frozen=True, eq=False)
class ItemMatrix:
    """An item pattern as a canonical customer x item matrix of sums.

    Row r belongs to ``customer_ids[r]`` of the build (item rows of other customers are left
    out); column j is ``items[j]``, the item codes as text in sorted order, each with at least
    one stored cell. ``lines`` and, when a quantity column was read, ``quantity`` are float64
    CSR matrices with one sparsity pattern: a stored cell per (customer, item) pair of the
    input (zero sums kept), duplicate pairs summed, column indices sorted. The same rows in
    any order give the same matrix (exactly for whole-number values, which sum exactly).
    """

    items: np.ndarray  # str (object), sorted
    lines: sparse.csr_matrix
    quantity: sparse.csr_matrix | None

    def update_hash(self, hasher: Any) -> None:
        """Feed the canonical content (item names, shape, structure, values) to ``hasher``."""
        hasher.update(json.dumps(self.items.tolist()).encode())
        hasher.update(np.asarray(self.lines.shape, dtype=np.int64).tobytes())
        hasher.update(self.lines.indptr.astype(np.int64).tobytes())
        hasher.update(np.ascontiguousarray(self.lines.indices, dtype=np.int32))
        hasher.update(np.ascontiguousarray(self.lines.data, dtype=np.float64))
        if self.quantity is not None:
            hasher.update(np.ascontiguousarray(self.quantity.data, dtype=np.float64))


def build_item_matrix(
    source: ItemPatternSource,
    customer_ids: pd.Series,
    *,
    customer_column: str = "customer_id",
    item_column: str = "stock_code",
    lines_column: str = "lines",
    quantity_column: str | None = None,
) -> ItemMatrix:
    """Read ``source`` once, batch by batch, into an :class:`ItemMatrix` over ``customer_ids``.

    ``source`` is a pandas DataFrame, a pyarrow Table, a pyarrow RecordBatchReader or an
    iterable of RecordBatches (one schema). Only the named columns are read (the quantity
    column only when given), and only the integer codes and values of rows of known
    customers are kept (about 16 bytes per item row, 24 with quantity), never a frame of
    strings. Customer ids match as :func:`~custseg.segmentation.inputs.normalise_ids` has
    them: as int64 when both sides are integers (whole-number floats count as integers),
    else both as text; item codes are compared as text. A missing column, a null id or
    item code (in any row) or a null value (in a row of a known customer) raises
    :class:`SegmentationInputError` naming the column.
    """
    value_columns = [lines_column] if quantity_column is None else [lines_column, quantity_column]
    columns = [customer_column, item_column, *value_columns]
    builder = _MatrixBuilder(customer_ids, customer_column, item_column, value_columns)
    min_rows = max(_MIN_CHUNK_ROWS, _CHUNK_ROWS_PER_CUSTOMER * len(customer_ids))
    for chunk in _chunks(_record_batches(source, columns), min_rows):
        builder.add(chunk)
    return builder.finish()


def _check_columns(available: Iterable[str], needed: list[str]) -> None:
    present = set(available)
    missing = [c for c in needed if c not in present]
    if missing:
        raise SegmentationInputError(f"item_pattern frame is missing column(s) {missing}")


def _record_batches(source: ItemPatternSource, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The ``columns`` of ``source`` as record batches; a DataFrame is first normalised (ids
    as :func:`normalise_ids` has them, item codes as text, values as float64)."""
    if isinstance(source, pd.DataFrame):
        _check_columns(source.columns, columns)
        source = _frame_to_table(source, columns)
    if isinstance(source, pa.Table):
        source = source.to_batches()
    elif not isinstance(source, Iterable):
        raise SegmentationInputError(
            "item_pattern must be a pandas DataFrame, a pyarrow Table, a RecordBatchReader or an "
            f"iterable of RecordBatches, got {type(source).__name__}"
        )
    for batch in source:
        if not isinstance(batch, pa.RecordBatch):
            raise SegmentationInputError(
                f"item_pattern batches must be pyarrow RecordBatches, got {type(batch)}"
            )
        _check_columns(batch.schema.names, columns)
        yield batch.select(columns)


def _frame_to_table(frame: pd.DataFrame, columns: list[str]) -> pa.Table:
    customer_column, item_column, *value_columns = columns
    codes = frame[item_column]
    ids = normalise_ids(frame[customer_column], name=customer_column)
    n_null = int(codes.isna().sum())
    if n_null:
        raise SegmentationInputError(f"item_pattern column '{item_column}' has {n_null} null value(s)")
    data = {customer_column: ids, item_column: codes.astype("str").reset_index(drop=True)}
    for column in value_columns:
        data[column] = pd.to_numeric(frame[column]).astype("float64").reset_index(drop=True)
    return pa.Table.from_pandas(pd.DataFrame(data), preserve_index=False)


def _chunks(batches: Iterable[pa.RecordBatch], min_rows: int) -> Iterator[pa.Table]:
    """Consecutive batches grouped (zero-copy) into tables of at least ``min_rows`` rows, so
    that the id lookup table built per chunk costs little next to the rows it serves."""
    buffer: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        buffer.append(batch)
        rows += batch.num_rows
        if rows >= min_rows:
            yield pa.Table.from_batches(buffer)
            buffer, rows = [], 0
    if rows:
        yield pa.Table.from_batches(buffer)


def _as_text(values: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    try:
        return values.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise SegmentationInputError(
            f"item_pattern column '{name}' ({values.type}) is not text: {error}"
        ) from error


def _as_float(values: pa.ChunkedArray, name: str) -> np.ndarray:
    """float64 values, NaN for nulls."""
    try:
        return values.cast(pa.float64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise SegmentationInputError(
            f"item_pattern column '{name}' ({values.type}) is not numeric: {error}"
        ) from error


def _arrow_ids(ids: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """Arrow ids as :func:`normalise_ids` has them: integers and whole-number floats as int64,
    anything else as it is (compared as text); booleans raise."""
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    if pa.types.is_boolean(ids.type):
        raise SegmentationInputError(f"id column '{name}' is boolean; expected ids")
    if pa.types.is_integer(ids.type):
        return ids.cast(pa.int64())
    if pa.types.is_floating(ids.type):
        whole = pc.all(pc.and_(pc.is_finite(ids), pc.equal(pc.trunc(ids), ids))).as_py()
        if whole is not False:
            return ids.cast(pa.int64())
    return ids


class _MatrixBuilder:
    """Accumulates chunks of item rows as (row, item code, values) arrays; ``finish`` sums
    them into an :class:`ItemMatrix`."""

    def __init__(
        self, customer_ids: pd.Series, customer_column: str, item_column: str, value_columns: list[str]
    ) -> None:
        self.customer_ids = customer_ids
        self.customer_column = customer_column
        self.item_column = item_column
        self.value_columns = value_columns
        integer_keys = pd.api.types.is_integer_dtype(customer_ids.dtype)
        self.int_keys = pa.array(customer_ids.to_numpy(dtype="int64")) if integer_keys else None
        self.text_keys: pa.Array | None = None  # built on first use
        self.codes: dict[str, int] = {}  # item code -> integer code, in order of first sight
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.values: dict[str, list[np.ndarray]] = {c: [] for c in value_columns}
        self.nulls = dict.fromkeys([customer_column, item_column, *value_columns], 0)

    def add(self, chunk: pa.Table) -> None:
        ids = chunk.column(self.customer_column)
        items = chunk.column(self.item_column)
        self.nulls[self.customer_column] += ids.null_count
        self.nulls[self.item_column] += items.null_count
        rows = self._row_positions(ids)
        encoded = pc.dictionary_encode(_as_text(items, self.item_column))
        # the chunks share one memo table: the last chunk's dictionary covers every index
        dictionary = encoded.chunk(encoded.num_chunks - 1).dictionary
        indices = pc.fill_null(pa.chunked_array([c.indices for c in encoded.chunks]), -1).to_numpy()
        keep = (rows >= 0) & (indices >= 0)
        self.rows.append(rows[keep])
        self.cols.append(self._item_codes(dictionary, indices[keep]))
        for column in self.value_columns:
            values = _as_float(chunk.column(column), column)[keep]
            self.nulls[column] += int(np.isnan(values).sum())
            self.values[column].append(values)

    def _row_positions(self, ids: pa.ChunkedArray) -> np.ndarray:
        """int32 row of each id in ``customer_ids``; -1 for unknown and null ids."""
        ids = _arrow_ids(ids, self.customer_column)
        if self.int_keys is not None and pa.types.is_int64(ids.type):
            found = pc.index_in(ids, value_set=self.int_keys)
        else:
            if self.text_keys is None:
                self.text_keys = pa.array(self.customer_ids.astype("str"))
            found = pc.index_in(_as_text(ids, self.customer_column), value_set=self.text_keys)
        return pc.fill_null(found, -1).to_numpy().astype(np.int32, copy=False)

    def _item_codes(self, dictionary: pa.Array, indices: np.ndarray) -> np.ndarray:
        """Integer codes of the items at ``indices`` of this chunk's ``dictionary``; only the
        items used get a code."""
        used = np.zeros(len(dictionary), dtype=bool)
        used[indices] = True
        lookup = np.full(len(dictionary), -1, dtype=np.int32)
        names = dictionary.filter(pa.array(used)).to_pylist()
        lookup[used] = [self.codes.setdefault(name, len(self.codes)) for name in names]
        return lookup[indices]

    def finish(self) -> ItemMatrix:
        for column, count in self.nulls.items():
            if count:
                kind = "id column" if column == self.customer_column else "item_pattern column"
                raise SegmentationInputError(f"{kind} '{column}' has {count} null value(s)")
        names = sorted(self.codes)
        column_of_code = np.empty(len(names), dtype=np.int32)
        column_of_code[[self.codes[name] for name in names]] = np.arange(len(names), dtype=np.int32)
        rows = _drain(self.rows, np.int32)
        cols = column_of_code[_drain(self.cols, np.int32)]
        shape = (len(self.customer_ids), len(names))
        matrices = []
        for column in self.value_columns:
            # COO -> CSR sums duplicate (row, item) pairs; explicit zeros stay stored
            matrix = sparse.csr_matrix((_drain(self.values[column], np.float64), (rows, cols)), shape=shape)
            matrix.sum_duplicates()
            matrix.sort_indices()
            matrices.append(matrix)
        return ItemMatrix(
            np.asarray(names, dtype=object), matrices[0], matrices[1] if len(matrices) > 1 else None
        )


def _drain(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """Concatenate ``parts`` and empty the list (so the parts can be freed)."""
    out = np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype=dtype)
    parts.clear()
    return out


class ItemPatternEncoder:
    """Long (customer, item, lines, quantity) rows -> sparse customer x item matrix -> SVD.

    Only items with at least ``min_lines`` (>= 1) purchase lines among the fitted customers
    are columns. Cell value v = log1p(lines | max(quantity, 0) | 1), each customer row is L2
    normalised (so the pattern, not the volume, counts), and TruncatedSVD (no centring)
    gives ``n_components`` scores per customer: score_c = sum_i v_i * components_[c, i].
    Customers without kept items score 0. The matrix is never densified.

    The item rows are read once into an :class:`ItemMatrix` (:meth:`build_matrix`), which
    :meth:`fit_matrix`, :meth:`transform_matrix` and :meth:`fit_transform_matrix` use;
    :meth:`fit` and :meth:`transform` build one per call.
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

    def build_matrix(self, items: ItemPatternSource, customer_ids: pd.Series) -> ItemMatrix:
        """The item rows over ``customer_ids`` (see :func:`build_item_matrix`); the quantity
        column is read only when ``value`` is "quantity"."""
        return build_item_matrix(
            items,
            customer_ids,
            customer_column=self.customer_column,
            item_column=self.item_column,
            lines_column=self.lines_column,
            quantity_column=self.quantity_column if self.value == "quantity" else None,
        )

    def fit(self, items: ItemPatternSource, customer_ids: pd.Series) -> ItemPatternEncoder:
        """Choose the item columns and fit the SVD; every customer in ``customer_ids`` is fitted."""
        return self.fit_matrix(self.build_matrix(items, customer_ids))

    def transform(self, items: ItemPatternSource | None, customer_ids: pd.Series) -> np.ndarray:
        """SVD scores (customers x components), rows in ``customer_ids`` order."""
        if items is None:
            return np.zeros((len(customer_ids), self.n_components_))
        return self.transform_matrix(self.build_matrix(items, customer_ids))

    def fit_matrix(self, matrix: ItemMatrix, rows: np.ndarray | None = None) -> ItemPatternEncoder:
        """Choose the item columns and fit the SVD on the ``rows`` (positions; all when None)
        of ``matrix``: the fitted customers."""
        self._choose_items(matrix, rows)
        self._fit_svd(self.cell_values(matrix, rows))
        return self

    def fit_transform_matrix(self, matrix: ItemMatrix, rows: np.ndarray | None = None) -> np.ndarray:
        """:meth:`fit_matrix`, then the scores of every row of ``matrix`` (cell values computed once)."""
        self._choose_items(matrix, rows)
        values = self.cell_values(matrix)
        self._fit_svd(values if rows is None else values[rows])
        return np.asarray(values @ self.components_.T)

    def transform_matrix(self, matrix: ItemMatrix) -> np.ndarray:
        """SVD scores of every row of ``matrix`` (customers x components)."""
        return np.asarray(self.cell_values(matrix) @ self.components_.T)

    def cell_values(self, matrix: ItemMatrix, rows: np.ndarray | None = None) -> sparse.csr_matrix:
        """The matrix the SVD sees: ``rows`` of ``matrix`` (all when None) over the columns
        ``items_``, v = log1p(max(value, 0)), each row L2-normalised, zero cells dropped."""
        source = matrix.quantity if self.value == "quantity" else matrix.lines
        if source is None:
            raise ValueError("value='quantity' needs an ItemMatrix built with the quantity column")
        if rows is not None:
            source = source[rows]
        column = pd.Index(self.items_).get_indexer(matrix.items)  # matrix column -> kept column or -1
        picked = np.flatnonzero(column >= 0)
        values = source[:, picked]  # a copy; each row keeps its (sorted) order
        values = sparse.csr_matrix(
            (values.data, column[picked].astype(values.indices.dtype)[values.indices], values.indptr),
            shape=(source.shape[0], len(self.items_)),
        )
        if self.value not in ("lines", "quantity"):
            values.data = (values.data > 0).astype("float64")
        np.log1p(np.maximum(values.data, 0.0, out=values.data), out=values.data)
        values.eliminate_zeros()
        return normalize(values, norm="l2", axis=1, copy=False)

    def _choose_items(self, matrix: ItemMatrix, rows: np.ndarray | None) -> None:
        if self.min_lines < 1:
            raise ValueError(f"min_lines must be >= 1, got {self.min_lines}")
        weights = np.ones(matrix.lines.shape[0])
        if rows is not None:
            weights[:] = 0.0
            weights[rows] = 1.0
        totals = matrix.lines.T @ weights  # lines per item over the fitted rows
        self.items_ = matrix.items[totals >= self.min_lines]
        if len(self.items_) < 2:
            raise SegmentationInputError(
                f"item_pattern: only {len(self.items_)} item(s) have >= {self.min_lines} lines "
                "among fitted customers; lower item_pattern.min_lines or disable item_pattern"
            )
        self.n_components_ = min(self.n_components, len(self.items_) - 1)

    def _fit_svd(self, values: sparse.csr_matrix) -> None:
        self.svd_ = TruncatedSVD(
            n_components=self.n_components_, n_iter=7, random_state=self.random_state
        ).fit(values)
        self.components_ = self.svd_.components_

    @property
    def feature_names_(self) -> tuple[str, ...]:
        return tuple(f"item_svd_{c + 1}" for c in range(self.n_components_))
