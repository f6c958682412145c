"""Checks that a raw input file can be read before dbt builds anything from it.

A bad file must fail the build with a message that names the file and what is wrong
with it (missing, empty, not CSV, a required column absent), never with a stack trace
from deep inside DuckDB. The dbt project calls :func:`input_file_problem` through the
``custseg_input_problem`` SQL function that :mod:`custseg.dbt_plugin` registers, from
its ``on-run-start`` hook.

Header names are matched without regard to case and extra columns are ignored, as the
staging models select columns by name (DuckDB binds names case-insensitively).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import duckdb

SMARTCART_CUSTOMERS_COLUMNS: tuple[str, ...] = (
    "ID",
    "Year_Birth",
    "Education",
    "Marital_Status",
    "Income",
    "Kidhome",
    "Teenhome",
    "Dt_Customer",
    "Recency",
    "MntWines",
    "MntFruits",
    "MntMeatProducts",
    "MntFishProducts",
    "MntSweetProducts",
    "MntGoldProds",
    "NumDealsPurchases",
    "NumWebPurchases",
    "NumCatalogPurchases",
    "NumStorePurchases",
    "NumWebVisitsMonth",
    "Complain",
    "Response",
)

ONLINE_RETAIL_TRANSACTIONS_COLUMNS: tuple[str, ...] = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "smartcart_customers": SMARTCART_CUSTOMERS_COLUMNS,
    "online_retail_transactions": ONLINE_RETAIL_TRANSACTIONS_COLUMNS,
}

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_SNIFF_BYTES = 64 * 1024


class InputFileError(ValueError):
    """A raw input file that the project cannot read."""


@dataclass(frozen=True)
class InputFile:
    """A raw input file and the columns it must carry."""

    path: Path
    kind: str

    @property
    def label(self) -> str:
        return f"{self.kind} input file '{self.path}'"

    @property
    def file_format(self) -> str:
        """``parquet``, ``csv.gz`` or ``csv``, from the file name."""
        name = self.path.name.lower()
        if name.endswith(".parquet"):
            return "parquet"
        if name.endswith(".gz"):
            return "csv.gz"
        return "csv"


def check_input_file(path: str | Path, kind: str) -> list[str]:
    """Validate one raw input file and return its column names as found in the header.

    Raises :class:`InputFileError` with a message naming the file and the problem.
    """
    if kind not in REQUIRED_COLUMNS:
        known = ", ".join(sorted(REQUIRED_COLUMNS))
        raise InputFileError(f"unknown input kind '{kind}' (known: {known})")
    if not str(path).strip():
        raise InputFileError(f"no path is set for the {kind} input file")
    source = InputFile(Path(path), kind)
    _check_exists_and_not_empty(source)
    _check_magic_bytes(source)
    columns = _read_header(source)
    _check_required_columns(source, columns)
    return columns


def input_file_problem(path: str, kind: str) -> str:
    """The problem with a raw input file as one line of text, or '' when it is readable.

    This is the form a SQL function can return to a dbt macro, which then raises it.
    """
    try:
        check_input_file(path, kind)
    except InputFileError as error:
        return str(error)
    return ""


def _check_exists_and_not_empty(source: InputFile) -> None:
    if not source.path.exists():
        raise InputFileError(f"{source.label} does not exist")
    if source.path.is_dir():
        raise InputFileError(f"{source.label} is a directory, not a file")
    if source.path.stat().st_size == 0:
        raise InputFileError(f"{source.label} is empty (0 bytes)")


def _check_magic_bytes(source: InputFile) -> None:
    with source.path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if source.file_format == "parquet":
        if not head.startswith(_PARQUET_MAGIC):
            raise InputFileError(f"{source.label} is not a Parquet file (its name ends in .parquet)")
        return
    if source.file_format == "csv.gz":
        if not head.startswith(_GZIP_MAGIC):
            raise InputFileError(f"{source.label} is not gzip-compressed (its name ends in .gz)")
        try:
            with gzip.open(source.path, "rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        except (OSError, EOFError) as error:
            raise InputFileError(f"{source.label} is a damaged gzip file: {error}") from None
        if not head:
            raise InputFileError(f"{source.label} is empty once decompressed")
    if head.startswith(_PARQUET_MAGIC) or head.startswith(_GZIP_MAGIC):
        raise InputFileError(
            f"{source.label} is a binary (Parquet or gzip) file; name it .parquet or .csv.gz"
        )
    if b"\x00" in head:
        raise InputFileError(f"{source.label} is not a CSV text file (it contains NUL bytes)")


def _read_header(source: InputFile) -> list[str]:
    connection = duckdb.connect()
    try:
        if source.file_format == "parquet":
            relation = connection.read_parquet(str(source.path))
        else:
            relation = connection.read_csv(str(source.path), header=True, all_varchar=True)
        columns = list(relation.columns)
        has_rows = bool(relation.limit(1).fetchall())
    except duckdb.Error as error:
        reason = str(error).strip().splitlines()[0]
        raise InputFileError(f"{source.label} could not be read as CSV: {reason}") from None
    finally:
        connection.close()
    if not has_rows:
        raise InputFileError(f"{source.label} has a header but no data rows")
    return columns


def _check_required_columns(source: InputFile, columns: list[str]) -> None:
    found = {column.strip().lower() for column in columns}
    missing = [name for name in REQUIRED_COLUMNS[source.kind] if name.lower() not in found]
    if missing:
        shown = ", ".join(columns[:30])
        raise InputFileError(
            f"{source.label} is missing required column(s) {', '.join(missing)} "
            f"(header names are matched without regard to case; found: {shown})"
        )
