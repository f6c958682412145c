"""The item-purchase pattern read into a sparse customer x item matrix.

The long item relation (customer, item, lines) is read once, batch by batch, into an
:class:`ItemMatrix` of integer codes and sums, never into a frame of strings; fitting,
scoring and the model version all use it.
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

from custseg.segmentation.errors import SegmentationInputError
from custseg.segmentation.validation import normalise_ids

ItemPatternSource = pd.DataFrame | pa.Table | pa.RecordBatchReader | Iterable[pa.RecordBatch]
"""What an item pattern may be given as (see :func:`build_item_matrix`)."""

# Arrow item rows are processed in chunks of at least this many rows, and at least this many
# rows per customer: the id lookup builds a hash table of all customers per chunk.
_MIN_CHUNK_ROWS = 1 << 21
_CHUNK_ROWS_PER_CUSTOMER = 4


@dataclass(frozen=True, eq=False)
class ItemMatrix:
    """An item pattern as a canonical customer x item matrix of sums.

    Row r belongs to ``customer_ids[r]`` of the build (item rows of other customers are left
    out); column j is ``items[j]``, the item codes as text in sorted order, each with at least
    one stored cell. ``lines`` is a float64 CSR matrix with a stored cell per (customer,
    item) pair of the input (zero sums kept), duplicate pairs summed, column indices sorted.
    The same rows in any order give the same matrix (exactly for whole-number values, which
    sum exactly).
    """

    items: np.ndarray  # str (object), sorted
    lines: sparse.csr_matrix

    def over(self, items: Sequence[str]) -> sparse.csr_matrix:
        """``lines`` with exactly the columns ``items`` (a fitted model's items, in its order):
        items this matrix lacks are all-zero columns, items the model lacks are left out."""
        position = pd.Index(self.items).get_indexer(list(items))
        picked = np.flatnonzero(position >= 0)
        selected = self.lines[:, position[picked]].tocoo()
        return sparse.csr_matrix(
            (selected.data, (selected.row, picked[selected.col])), shape=(self.lines.shape[0], len(items))
        )

    def update_hash(self, hasher: Any) -> None:
        """Feed the canonical content (item names, shape, structure, values) to ``hasher``."""
        hasher.update(json.dumps(self.items.tolist()).encode())
        hasher.update(np.asarray(self.lines.shape, dtype=np.int64).tobytes())
        hasher.update(self.lines.indptr.astype(np.int64).tobytes())
        hasher.update(np.ascontiguousarray(self.lines.indices, dtype=np.int32))
        hasher.update(np.ascontiguousarray(self.lines.data, dtype=np.float64))


def build_item_matrix(
    source: ItemPatternSource,
    customer_ids: pd.Series,
    *,
    customer_column: str = "customer_id",
    item_column: str = "stock_code",
    lines_column: str = "lines",
) -> ItemMatrix:
    """Read ``source`` once, batch by batch, into an :class:`ItemMatrix` over ``customer_ids``.

    ``source`` is a pandas DataFrame, a pyarrow Table, a pyarrow RecordBatchReader or an
    iterable of RecordBatches (one schema). Only the named columns are read, and only the
    integer codes and values of rows of known customers are kept (about 16 bytes per item
    row), never a frame of strings. Customer ids match as
    :func:`~custseg.segmentation.validation.normalise_ids` has
    them: as int64 when both sides are integers (whole-number floats count as integers),
    else both as text; item codes are compared as text. A missing column, a null id or
    item code (in any row) or a null value (in a row of a known customer) raises
    :class:`SegmentationInputError` naming the column.
    """
    columns = [customer_column, item_column, lines_column]
    builder = _MatrixBuilder(customer_ids, customer_column, item_column, [lines_column])
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
        (column,) = self.value_columns
        # COO -> CSR sums duplicate (row, item) pairs; explicit zeros stay stored
        matrix = sparse.csr_matrix((_drain(self.values[column], np.float64), (rows, cols)), shape=shape)
        matrix.sum_duplicates()
        matrix.sort_indices()
        return ItemMatrix(np.asarray(names, dtype=object), matrix)


def _drain(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """Concatenate ``parts`` and empty the list (so the parts can be freed)."""
    out = np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype=dtype)
    parts.clear()
    return out
