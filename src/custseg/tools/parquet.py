"""Parquet files that carry their documentation: the table's description and every column's
description (dbt's, persisted as DuckDB comments) travel inside the file, so a reader of the
file alone (pandas, Spark, a BI tool's Parquet connector) can see what each column means.

The descriptions are written the way Arrow stores metadata: each field's ``description`` in
its field metadata and the table's in the schema metadata (both land in the file's
``ARROW:schema`` key), plus the table's description as a plain ``description`` key-value of
the file for readers that do not read Arrow schemas. Rows are streamed in batches, so memory
stays bounded whatever the table's size; nothing in the file depends on the time it was
written, so identical rows give identical bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROWS_PER_BATCH = 122_880  # DuckDB's row group size
DESCRIPTION_KEY = "description"


def described_schema(
    schema: pa.Schema, table_description: str | None, column_descriptions: Mapping[str, str]
) -> pa.Schema:
    """``schema`` with the descriptions as field and schema metadata."""
    fields = []
    for field in schema:
        description = column_descriptions.get(field.name)
        fields.append(field.with_metadata({DESCRIPTION_KEY: description}) if description else field)
    metadata = {DESCRIPTION_KEY: table_description} if table_description else None
    return pa.schema(fields, metadata=metadata)


def write_described_parquet(
    connection: duckdb.DuckDBPyConnection,
    query: str,
    path: Path,
    *,
    table_description: str | None,
    column_descriptions: Mapping[str, str],
) -> int:
    """Write the rows of ``query`` to ``path`` (zstd) with the descriptions; the row count."""
    reader = connection.sql(query).to_arrow_reader(ROWS_PER_BATCH)
    schema = described_schema(reader.schema, table_description, column_descriptions)
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        if table_description:
            writer.add_key_value_metadata({DESCRIPTION_KEY: table_description})
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
            rows += batch.num_rows
    return rows


def read_descriptions(path: Path) -> tuple[str | None, dict[str, str]]:
    """The table description and the column descriptions stored in a Parquet file."""
    schema = pq.read_schema(path)
    table = (schema.metadata or {}).get(DESCRIPTION_KEY.encode())
    columns = {
        field.name: field.metadata[DESCRIPTION_KEY.encode()].decode()
        for field in schema
        if field.metadata and DESCRIPTION_KEY.encode() in field.metadata
    }
    return (table.decode() if table else None), columns
