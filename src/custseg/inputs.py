"""Raw input files: decide once per file how to read it, or refuse it with a message that says why.

Why: every figure the warehouse shows rests on reading the raw exports right. Files arrive from
Excel (cp1252, a byte-order mark, CRLF, semicolons), from pandas (an unnamed index column), from
other years of the same retailer (``Invoice``, ``Price``, ``Customer ID``) and damaged. A file the
project cannot understand must stop the build with a message naming the file and the problem, never
a stack trace from deep inside DuckDB, and a file it can understand must be read exactly.

What is decided here, once per file, before dbt reads a line (:func:`plan_input`):

- what the file is, from its bytes, not its name: CSV text, gzipped CSV or Parquet; UTF-16 text and
  Excel workbooks are refused with a message that says how to export them as CSV;
- its encoding: the setting ``<PREFIX>_ENCODING`` (``auto`` by default), else by trying: UTF-8 (with
  or without a byte-order mark) when the first :data:`SAMPLE_BYTES` decode as UTF-8, else cp1252 (what
  Excel writes), else Latin-1. DuckDB reads UTF-8 only and checks every byte as it reads, so a UTF-8
  file that turns invalid later stops the build naming the file and the line; a cp1252 or Latin-1
  file is read through a UTF-8 copy in the DuckDB temp folder;
- the delimiter and the header line: the one of ``,`` ``;`` tab ``|`` and of the first
  :data:`HEADER_SEARCH_LINES` lines that names the most required columns (report title lines above
  the header are skipped and counted). Quoted fields may hold delimiters and line breaks;
- which header name is which required column: the name itself, a known alias
  (:class:`RawColumn`), or the setting ``<PREFIX>_COLUMNS`` (JSON, ``{"InvoiceNo": "Bill No"}``);
  names are compared without case, spaces, underscores or punctuation. A missing column's message
  lists every name tried.

The result is a :class:`ReadPlan`: the one place the read options live. Its :meth:`ReadPlan.select_sql`
is what the input check reads and what the dbt sources are (a view created by the ``on-run-start``
hook, see ``macros/register_raw_inputs.sql``), so the file checked is the file read. Every row keeps
its place: a row with fewer or more fields than the header is read (padded, or with the extra field
kept in ``_field_count``) and rejected by staging with a reason, never skipped. Paths are passed as
SQL literals (quotes doubled) and, when they hold glob characters (``*``, ``?``, ``[``), read through
a link with a plain name, so any path the file system allows reads exactly that file.

Date order and number format are decided per file too, but from the values, in dbt (the
``base_*__file_formats`` models), where they are unit-tested; this module passes their settings on.
"""

from __future__ import annotations

import codecs
import csv
import glob
import gzip
import hashlib
import io
import json
import os
import re
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

# --- what each input must carry -------------------------------------------------------------


@dataclass(frozen=True)
class RawColumn:
    """A required column: its name in the project and other names it goes by in real exports."""

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def names_tried(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class InputSpec:
    """One kind of raw input: its required columns and the prefix of its settings."""

    kind: str
    setting_prefix: str
    columns: tuple[RawColumn, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def setting(self, suffix: str) -> str:
        return f"{self.setting_prefix}_{suffix}"


SMARTCART_CUSTOMERS = InputSpec(
    kind="smartcart_customers",
    setting_prefix="SMARTCART_CUSTOMERS",
    columns=(
        RawColumn("ID", ("Customer ID",)),
        RawColumn("Year_Birth", ("Birth Year", "Year of Birth")),
        RawColumn("Education"),
        RawColumn("Marital_Status"),
        RawColumn("Income"),
        RawColumn("Kidhome", ("Kids Home",)),
        RawColumn("Teenhome", ("Teens Home",)),
        RawColumn("Dt_Customer", ("Date Customer",)),
        RawColumn("Recency"),
        RawColumn("MntWines"),
        RawColumn("MntFruits"),
        RawColumn("MntMeatProducts"),
        RawColumn("MntFishProducts"),
        RawColumn("MntSweetProducts"),
        RawColumn("MntGoldProds"),
        RawColumn("NumDealsPurchases"),
        RawColumn("NumWebPurchases"),
        RawColumn("NumCatalogPurchases"),
        RawColumn("NumStorePurchases"),
        RawColumn("NumWebVisitsMonth"),
        RawColumn("Complain"),
        RawColumn("Response"),
    ),
)

ONLINE_RETAIL_TRANSACTIONS = InputSpec(
    kind="online_retail_transactions",
    setting_prefix="ONLINE_RETAIL_TRANSACTIONS",
    columns=(
        # "Online Retail II" (the retailer's 2009-2011 exports) names three columns differently.
        RawColumn("InvoiceNo", ("Invoice", "Invoice Number")),
        RawColumn("StockCode", ("Stock Code Number", "Item Code")),
        RawColumn("Description", ("Item Description",)),
        RawColumn("Quantity", ("Qty",)),
        RawColumn("InvoiceDate", ("Invoice Date Time",)),
        RawColumn("UnitPrice", ("Price", "Unit Price GBP")),
        RawColumn("CustomerID", ("Customer ID", "Customer Number")),
        RawColumn("Country"),
    ),
)

INPUT_SPECS: dict[str, InputSpec] = {
    spec.kind: spec for spec in (SMARTCART_CUSTOMERS, ONLINE_RETAIL_TRANSACTIONS)
}

SMARTCART_CUSTOMERS_COLUMNS: tuple[str, ...] = SMARTCART_CUSTOMERS.column_names
ONLINE_RETAIL_TRANSACTIONS_COLUMNS: tuple[str, ...] = ONLINE_RETAIL_TRANSACTIONS.column_names
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {kind: spec.column_names for kind, spec in INPUT_SPECS.items()}

# --- how files are looked at --------------------------------------------------------------

#: Bytes (decompressed) read from the top of a file to decide its encoding and find its header.
SAMPLE_BYTES = 8 * 1024 * 1024
#: The header must be among this many records at the top of the file.
HEADER_SEARCH_LINES = 20
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODINGS: tuple[str, ...] = ("utf-8", "cp1252", "latin-1")
_ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}
DATE_ORDERS: tuple[str, ...] = ("auto", "day_first", "month_first")
DECIMAL_SEPARATORS: tuple[str, ...] = ("auto", "point", "comma")
_DECIMAL_ALIASES = {"auto": "auto", "point": "point", ".": "point", "comma": "comma", ",": "comma"}

#: What DuckDB reads as NULL: a string no export holds, so that an empty field reads as '' and
#: only a field missing from a short row reads as NULL (that is how short rows are told apart).
_NULL_MARKER = "\x01"
_GLOB_CHARACTERS = re.compile(r"[*?\[\]]")

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_EXPORT_ADVICE = (
    "save it from Excel with File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)' "
    "(or export it as CSV from the tool that made it)"
)


class InputFileError(ValueError):
    """A raw input file that the project cannot read, with a message naming it."""


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputSettings:
    """The per-input settings (environment variables ``<PREFIX>_ENCODING`` and so on)."""

    encoding: str = "auto"
    columns: Mapping[str, str] = field(default_factory=dict)
    date_order: str = "auto"
    decimal_separator: str = "auto"

    @classmethod
    def from_values(cls, spec: InputSpec, values: Mapping[str, str | None]) -> InputSettings:
        """Settings from raw text values (keys encoding, columns, date_order, decimal_separator)."""
        encoding = (values.get("encoding") or "auto").strip().lower()
        if encoding != "auto" and encoding not in _ENCODING_ALIASES:
            raise InputFileError(
                f"{spec.setting('ENCODING')} is '{encoding}'; use auto, {', '.join(ENCODINGS)}"
            )
        date_order = (values.get("date_order") or "auto").strip().lower()
        if date_order not in DATE_ORDERS:
            raise InputFileError(
                f"{spec.setting('DATE_ORDER')} is '{date_order}'; use {', '.join(DATE_ORDERS)}"
            )
        decimal = (values.get("decimal_separator") or "auto").strip().lower()
        if decimal not in _DECIMAL_ALIASES:
            raise InputFileError(
                f"{spec.setting('DECIMAL_SEPARATOR')} is '{decimal}'; use {', '.join(DECIMAL_SEPARATORS)}"
            )
        return cls(
            encoding=_ENCODING_ALIASES.get(encoding, "auto"),
            columns=_parse_column_setting(spec, values.get("columns") or ""),
            date_order=date_order,
            decimal_separator=_DECIMAL_ALIASES[decimal],
        )


def _parse_column_setting(spec: InputSpec, text: str) -> dict[str, str]:
    setting = spec.setting("COLUMNS")
    if not text.strip():
        return {}
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            f"{setting} is not a JSON object of column names ({error.msg}); "
            f'write it as {{"{spec.column_names[0]}": "name in the file"}}'
        ) from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise InputFileError(
            f'{setting} must be a JSON object of names, like {{"{spec.column_names[0]}": "Bill"}}'
        )
    unknown = sorted(set(mapping) - set(spec.column_names))
    if unknown:
        raise InputFileError(
            f"{setting} names unknown column(s) {', '.join(unknown)}; "
            f"the columns of this input are {', '.join(spec.column_names)}"
        )
    return dict(mapping)


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadPlan:
    """How to read one raw file: decided once, used by the check and by every model."""

    spec: InputSpec
    path: Path
    file_format: str  # csv, csv.gz or parquet
    file_bytes: int
    encoding: str  # utf-8, cp1252 or latin-1; 'binary' for Parquet
    has_byte_order_mark: bool
    delimiter: str | None
    header_line: int | None  # 1-based physical line of the header
    header: tuple[str, ...]  # the header names as written
    positions: Mapping[str, int]  # required column -> 0-based position in the header
    read_path: Path  # what DuckDB opens: the file, a link to it, or its UTF-8 copy
    settings: InputSettings
    compression: str = "none"  # of read_path: gzip or none

    @property
    def lines_before_header(self) -> int:
        return (self.header_line or 1) - 1

    @property
    def header_fields(self) -> int:
        return len(self.header)

    @property
    def column_mapping(self) -> str:
        """Which header name each required column was read from, e.g. 'InvoiceNo=Invoice; ...'."""
        return "; ".join(f"{name}={self.header[self.positions[name]]}" for name in self.spec.column_names)

    @property
    def ignored_columns(self) -> str:
        used = set(self.positions.values())
        return "; ".join(
            name if name.strip() else f"(unnamed column {index + 1})"
            for index, name in enumerate(self.header)
            if index not in used
        )

    @property
    def layout(self) -> tuple:
        """What the read options depend on (all but the path): files with the same layout are
        read by one reader (:func:`select_files_sql`)."""
        return (
            self.file_format,
            self.compression,
            self.delimiter,
            self.header_line,
            self.header if self.file_format == "parquet" else len(self.header),
            tuple(sorted(self.positions.items())),
        )

    def select_sql(self, file_id: int = 1, files: Sequence[tuple[int, Path]] = ()) -> str:
        """The SQL select of every row of the file as text, with the required columns' names.

        Columns: ``_file_id``, ``_field_count`` (fields on the row: the header's count when the
        row is complete, fewer for a short row, one more when it has extra fields),
        ``_extra_field`` (the first field beyond the header's, else NULL), then the required
        columns as text. Empty fields are '' (not NULL); a field a short row lacks is NULL.

        ``files``: (file id, read path) of several files with this plan's :attr:`layout`, read by
        one multi-file reader instead (its file name gives each row's ``_file_id``; a filter on
        ``_file_id`` skips whole files without opening them).
        """
        source = _literal(str(self.read_path))
        file_id_sql = str(file_id)
        if files:
            source = "[" + ", ".join(_literal(str(path)) for _, path in files) + "]"
            file_id_sql = (
                "case filename "
                + " ".join(f"when {_literal(str(path))} then {fid}" for fid, path in files)
                + " end"
            )
        multi = ", filename = true" if files else ""
        if self.file_format == "parquet":
            selected = ", ".join(
                f"cast({_identifier(self.header[self.positions[name]])} as varchar) as {_identifier(name)}"
                for name in self.spec.column_names
            )
            return (
                f"select {file_id_sql} as _file_id, {self.header_fields} as _field_count, "
                f"cast(null as varchar) as _extra_field, {selected} "
                f"from read_parquet({source}{multi})"
            )
        count = self.header_fields
        positional = [f"c{index + 1}" for index in range(count)] + ["c_extra"]
        columns = ", ".join(f"'{name}': 'varchar'" for name in positional)
        present = " + ".join(f"cast(c{index + 1} is not null as integer)" for index in range(count))
        selected = ", ".join(
            f"c{self.positions[name] + 1} as {_identifier(name)}" for name in self.spec.column_names
        )
        options = ", ".join(
            [
                "auto_detect = false",
                "header = false",
                f"skip = {self.header_line}",
                f"delim = {_literal(self.delimiter or ',')}",
                "quote = '\"'",
                "escape = '\"'",
                f"columns = {{{columns}}}",
                "null_padding = true",
                # The parallel reader refuses padding when a quoted field holds a line break; a
                # gzipped file is read by one thread anyway.
                "parallel = false",
                # Rows with more fields than the header are read (extra fields in c_extra), not failed.
                "strict_mode = false",
                f"nullstr = {_literal(_NULL_MARKER)}",
                f"compression = {_literal(self.compression)}",
                "encoding = 'utf-8'",
            ]
        )
        return (
            f"select {file_id_sql} as _file_id, "
            f"case when c_extra is not null then {count + 1} when c{count} is not null then {count} "
            f"else {present} end as _field_count, "
            f"c_extra as _extra_field, {selected} from read_csv({source}, {options}{multi})"
        )

    def file_record(
        self, file_id: int = 1, digest: str | None = None, duplicates: Sequence[Path] = ()
    ) -> list[tuple[str, str, object]]:
        """The row describing this file in the source's ``_files`` table: (column, type, value)."""
        return [
            ("_file_id", "integer", file_id),
            ("file_path", "varchar", str(self.path)),
            ("file_format", "varchar", self.file_format),
            ("file_bytes", "bigint", self.file_bytes),
            ("encoding", "varchar", self.encoding),
            ("has_byte_order_mark", "boolean", self.has_byte_order_mark),
            ("delimiter", "varchar", self.delimiter),
            ("header_line", "integer", self.header_line),
            ("lines_before_header", "integer", self.lines_before_header),
            ("header_fields", "integer", self.header_fields),
            ("column_mapping", "varchar", self.column_mapping),
            ("ignored_columns", "varchar", self.ignored_columns),
            ("read_path", "varchar", str(self.read_path)),
            ("setting_prefix", "varchar", self.spec.setting_prefix),
            ("date_order_setting", "varchar", self.settings.date_order),
            ("decimal_separator_setting", "varchar", self.settings.decimal_separator),
            ("file_sha256", "varchar", digest),
            ("duplicate_paths", "varchar", "; ".join(str(path) for path in duplicates) or None),
        ]

    def files_sql(self, file_id: int = 1, digest: str | None = None, duplicates: Sequence[Path] = ()) -> str:
        """A select of the one-row ``_files`` table of this file."""
        return "select " + ", ".join(
            f"cast({_value_literal(value)} as {sql_type}) as {name}"
            for name, sql_type, value in self.file_record(file_id, digest, duplicates)
        )

    @property
    def renamed_columns(self) -> str:
        """The required columns read from another header name ('UnitPrice=Price; ...'), or ''."""
        return "; ".join(
            f"{name}={self.header[self.positions[name]]}"
            for name in self.spec.column_names
            if self.header[self.positions[name]] != name
        )

    def describe(self) -> str:
        """One line for the build log."""
        columns = f"columns read from {self.renamed_columns}" if self.renamed_columns else "columns by name"
        if self.file_format == "parquet":
            return f"{self.path}: Parquet, {self.header_fields} columns, {columns}"
        bom = " with byte-order mark" if self.has_byte_order_mark else ""
        skipped = (
            f", {self.lines_before_header} line(s) above the header skipped"
            if self.lines_before_header
            else ""
        )
        return (
            f"{self.path}: {self.file_format}, {self.encoding}{bom}, "
            f"{_DELIMITER_NAMES.get(self.delimiter or ',', self.delimiter)}-delimited, header on line "
            f"{self.header_line}{skipped}, {columns}"
        )


def plan_input(
    path: str | Path,
    kind: str,
    settings: InputSettings | None = None,
    work_dir: str | Path | None = None,
) -> ReadPlan:
    """Decide how to read one raw input file; raise :class:`InputFileError` when it cannot be read.

    ``work_dir`` holds the UTF-8 copies of cp1252/Latin-1 files and the links to paths with glob
    characters (default: a folder under the system temp folder).
    """
    if kind not in INPUT_SPECS:
        raise InputFileError(f"unknown input kind '{kind}' (known: {', '.join(sorted(INPUT_SPECS))})")
    spec = INPUT_SPECS[kind]
    settings = settings or InputSettings()
    if not str(path).strip():
        raise InputFileError(f"no path is set for the {kind} input file ({spec.setting('PATH')})")
    source = Path(path)
    label = f"{kind} input file '{source}'"
    _check_exists_and_not_empty(source, label)
    work = Path(work_dir) if work_dir is not None else Path(tempfile.gettempdir()) / "custseg-inputs"
    with source.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if head.startswith(_PARQUET_MAGIC):
        plan = _plan_parquet(spec, source, label, settings, work)
    else:
        file_format = "csv"
        if head.startswith(_GZIP_MAGIC):
            file_format = "csv.gz"
            head = _gunzip_head(source, label)
        _refuse_non_csv(head, source, label)
        plan = _plan_csv(spec, source, label, file_format, head, settings, work)
    _check_reads(plan, label)
    return plan


def check_input_file(
    path: str | Path, kind: str, settings: InputSettings | None = None, work_dir: str | Path | None = None
) -> list[str]:
    """Validate one raw input file and return its header names as written.

    Raises :class:`InputFileError` with a message naming the file and the problem.
    """
    return list(plan_input(path, kind, settings, work_dir).header)


def input_file_problem(path: str, kind: str) -> str:
    """The problem with a raw input file as one line of text, or '' when it is readable."""
    try:
        check_input_file(path, kind)
    except InputFileError as error:
        return str(error)
    return ""


def settings_from_environment(spec: InputSpec, environ: Mapping[str, str] | None = None) -> InputSettings:
    """The input's settings from the environment variables ``<PREFIX>_ENCODING`` and so on."""
    environ = os.environ if environ is None else environ
    return InputSettings.from_values(
        spec,
        {
            "encoding": environ.get(spec.setting("ENCODING")),
            "columns": environ.get(spec.setting("COLUMNS")),
            "date_order": environ.get(spec.setting("DATE_ORDER")),
            "decimal_separator": environ.get(spec.setting("DECIMAL_SEPARATOR")),
        },
    )


def register_input(
    request_json: str, work_dir: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """Plan one input for the dbt hook; the answer as JSON (what the SQL function returns).

    Request: ``{"kind", "default_path", "view", "files_table"}``: the input kind, the path used
    when ``<PREFIX>_PATH`` is not set, and the relations (rendered by dbt) to create. The path and
    the settings are read from the environment, at run time (so changing them never makes dbt
    re-parse the project). The path is one file, a folder (every file in it) or a glob
    (:func:`input_files`); each file is planned on its own and keyed by its content
    (:func:`file_id_for`): a file whose bytes equal another's is read once, its other paths listed
    in ``duplicate_paths``. Answer: ``{"problem": text, "setting": name}``, or
    ``{"statements": [sql, ...], "summary": text}``.
    """
    request = json.loads(request_json)
    plan = plan_request(request, work_dir, environ)
    if isinstance(plan, str):
        return plan
    statements = [
        f"create or replace view {request['view']} as {plan.select_sql()}",
        f"create or replace table {request['files_table']} as {plan.files_sql()}",
    ]
    return json.dumps({"statements": statements, "summary": plan.describe()})


def plan_request(
    request: Mapping[str, str], work_dir: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> InputRead | str:
    """The plan of the input a hook's request names (every file of its path), or the hook's
    problem answer as JSON.

    Shared by every engine's hook (:func:`register_input` for DuckDB,
    ``custseg.integration.spark.register_input`` for Spark), so a file is checked the same way.
    """
    environ = os.environ if environ is None else environ
    kind = request["kind"]
    spec = INPUT_SPECS.get(kind)
    setting = spec.setting("PATH") if spec else ""
    try:
        if spec is None:
            raise InputFileError(f"unknown input kind '{kind}' (known: {', '.join(sorted(INPUT_SPECS))})")
        path = environ.get(setting) or request["default_path"]
        settings = settings_from_environment(spec, environ)
        files = input_files(path, kind)
        work = Path(work_dir) if work_dir is not None else Path(tempfile.gettempdir()) / "custseg-inputs"
        plans: dict[str, tuple[int, ReadPlan, list[Path]]] = {}  # by the bytes' SHA-256
        for file in files:
            digest = file_digest(file, work)
            if digest in plans:
                plans[digest][2].append(file)  # the same bytes again: read once
                continue
            file_id = file_id_for(digest, settings)
            clash = next((plan for other_id, plan, _ in plans.values() if other_id == file_id), None)
            if clash is not None:
                raise InputFileError(
                    f"{kind} input files '{clash.path}' and '{file}' differ but share the file id "
                    f"{file_id}: merge them into one file"
                )
            plans[digest] = (file_id, _cached_plan(file, kind, settings, work, digest), [])
    except InputFileError as error:
        return json.dumps({"problem": str(error), "setting": setting})
    return InputRead(str(path), tuple((digest, *entry) for digest, entry in plans.items()))


@dataclass(frozen=True)
class InputRead:
    """Every file of an input path, planned (:func:`plan_request`): the rows and the files as
    SQL for the hooks of every engine, and a one-line summary."""

    path: str
    # per distinct file (by its bytes): SHA-256, file id, plan, other paths with the same bytes
    plans: tuple[tuple[str, int, ReadPlan, list[Path]], ...]

    def select_sql(self) -> str:
        return select_files_sql([(file_id, plan) for _, file_id, plan, _ in self.plans])

    def files_sql(self) -> str:
        return "\nunion all\n".join(
            plan.files_sql(file_id, digest, copies) for digest, file_id, plan, copies in self.plans
        )

    def describe(self) -> str:
        summary = (
            self.plans[0][2].describe()
            if len(self.plans) == 1
            else f"{len(self.plans)} files from {self.path}"
        )
        for _, _, plan, copies in self.plans:
            if copies:
                names = ", ".join(f"'{copy}'" for copy in copies)
                summary += f"; {names}: the same bytes as '{plan.path}', read once"
        return summary


def select_files_sql(entries: Sequence[tuple[int, ReadPlan]]) -> str:
    """The select of every row of every file: one reader per layout (:attr:`ReadPlan.layout`),
    so a folder of daily exports is one multi-file read (DuckDB keeps a few files open at a
    time, not one reader per file), in a union when layouts differ."""
    groups: dict[tuple, list[tuple[int, ReadPlan]]] = {}
    for file_id, plan in entries:
        groups.setdefault(plan.layout, []).append((file_id, plan))
    parts = []
    for members in groups.values():
        first_id, first = members[0]
        if len(members) == 1:
            parts.append(first.select_sql(first_id))
        else:
            parts.append(first.select_sql(first_id, [(file_id, plan.read_path) for file_id, plan in members]))
    return "\nunion all\n".join(parts)


def input_files(path: str | Path, kind: str) -> list[Path]:
    """The files an input path names, sorted by path: the file itself; every file in a folder
    (not in its subfolders, hidden files left out); or the files a glob (``*``, ``?``, ``[...]``)
    matches, when no file has that very name. Raises :class:`InputFileError` when it names none."""
    text = str(path)
    if not text.strip():
        spec = INPUT_SPECS[kind]
        raise InputFileError(f"no path is set for the {kind} input file ({spec.setting('PATH')})")
    source = Path(text)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise InputFileError(f"{kind} input folder '{source}' holds no files")
        return files
    if not source.exists() and _GLOB_CHARACTERS.search(text):
        files = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        if not files:
            raise InputFileError(f"{kind} input pattern '{source}' matches no file")
        return files
    return [source]


def _cached_plan(path: Path, kind: str, settings: InputSettings, work: Path, digest: str) -> ReadPlan:
    """:func:`plan_input`, remembered in ``work/plans.json`` per file path, bytes (SHA-256) and
    settings: a refresh of a folder of exports plans only the new or changed files."""
    cache_path = work / "plans.json"
    key = f"{path}|{digest}|{file_id_for(digest, settings)}"
    try:
        cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    except (OSError, ValueError):
        cache = {}
    known = cache.get(key)
    if known is not None and Path(known["read_path"]).exists():
        return ReadPlan(
            spec=INPUT_SPECS[kind],
            path=path,
            file_format=known["file_format"],
            file_bytes=known["file_bytes"],
            encoding=known["encoding"],
            has_byte_order_mark=known["has_byte_order_mark"],
            delimiter=known["delimiter"],
            header_line=known["header_line"],
            header=tuple(known["header"]),
            positions=dict(known["positions"]),
            read_path=Path(known["read_path"]),
            settings=settings,
            compression=known["compression"],
        )
    plan = plan_input(path, kind, settings, work)
    cache[key] = {
        "file_format": plan.file_format,
        "file_bytes": plan.file_bytes,
        "encoding": plan.encoding,
        "has_byte_order_mark": plan.has_byte_order_mark,
        "delimiter": plan.delimiter,
        "header_line": plan.header_line,
        "header": list(plan.header),
        "positions": dict(plan.positions),
        "read_path": str(plan.read_path),
        "compression": plan.compression,
    }
    work.mkdir(parents=True, exist_ok=True)
    temporary = cache_path.with_name(f"plans.json.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(cache))
    os.replace(temporary, cache_path)
    return plan


def file_digest(path: Path, work: Path | None = None) -> str:
    """The SHA-256 of a file's bytes; remembered in ``work/digests.json`` while its size and
    modification time are unchanged, so that a refresh hashes only new or changed files."""
    if not path.is_file():
        return "missing:" + str(path)  # plan_input says what is wrong with it
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_path = (work / "digests.json") if work is not None else None
    cache: dict[str, str] = {}
    if cache_path is not None and cache_path.exists():
        try:
            cache = json.loads(cache_path.read_text())
        except (OSError, ValueError):
            cache = {}
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    cache[key] = digest.hexdigest()
    if cache_path is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_path.with_name(f"digests.json.tmp-{os.getpid()}")
        temporary.write_text(json.dumps(cache))
        os.replace(temporary, cache_path)
    return cache[key]


def file_id_for(digest: str, settings: InputSettings | None = None) -> int:
    """A file's id: 31 bits of a hash of its bytes' SHA-256 and the settings it is read with, so
    the same file read the same way keeps its id in every build (incremental models key their
    rows by it; a changed file or setting is a new id, read again) and fits an integer column."""
    settings = settings or InputSettings()
    key = "|".join(
        [
            digest,
            settings.encoding,
            json.dumps(dict(settings.columns), sort_keys=True),
            settings.date_order,
            settings.decimal_separator,
        ]
    )
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


# --- the steps --------------------------------------------------------------------------------


def _check_exists_and_not_empty(path: Path, label: str) -> None:
    if not path.exists():
        raise InputFileError(f"{label} does not exist")
    if path.is_dir():
        raise InputFileError(f"{label} is a directory, not a file")
    if path.stat().st_size == 0:
        raise InputFileError(f"{label} is empty (0 bytes)")


def _gunzip_head(path: Path, label: str) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            head = handle.read(SAMPLE_BYTES)
    except (OSError, EOFError, zlib.error) as error:
        raise InputFileError(f"{label} is a damaged gzip file: {error}") from None
    if not head:
        raise InputFileError(f"{label} is empty once decompressed")
    return head


def _refuse_non_csv(head: bytes, path: Path, label: str) -> None:
    name = path.name.lower()
    if head.startswith(_ZIP_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        raise InputFileError(
            f"{label} is an Excel workbook (.xlsx, a zip archive), not a CSV file: open it in Excel and "
            f"{_EXPORT_ADVICE}"
        )
    if head.startswith(_OLE2_MAGIC) or name.endswith(".xls"):
        raise InputFileError(
            f"{label} is an Excel 97-2003 workbook (.xls), not a CSV file: "
            f"open it in Excel and {_EXPORT_ADVICE}"
        )
    if head.startswith(_UTF32_BOMS):
        raise InputFileError(f"{label} is UTF-32 text; {_utf16_advice('UTF-32')}")
    if head.startswith(_UTF16_BOMS) or _looks_like_utf16(head):
        raise InputFileError(
            f"{label} is UTF-16 text (Excel's 'Unicode Text' export); {_utf16_advice('UTF-16')}"
        )
    if b"\x00" in head:
        raise InputFileError(f"{label} is not a CSV text file (it contains NUL bytes): export it as CSV")


def _utf16_advice(encoding: str) -> str:
    return f"{_EXPORT_ADVICE}, or convert it with: iconv -f {encoding} -t UTF-8 <file> > <file>.csv"


def _looks_like_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a NUL beside nearly every character."""
    sample = head[:4096]
    if len(sample) < 8:
        return False
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    return max(even, odd) > 0.4 * half and min(even, odd) < 0.05 * half


def _decide_encoding(
    head: bytes, whole_file: bool, settings: InputSettings, label: str, spec: InputSpec
) -> str:
    if settings.encoding != "auto":
        if settings.encoding == "utf-8":
            problem = _utf8_problem(head, whole_file)
            if problem:
                raise InputFileError(
                    f"{label} is not UTF-8 as {spec.setting('ENCODING')} says: {problem}; "
                    f"set it to cp1252 (Excel's Western encoding) or latin-1"
                )
        return settings.encoding
    if not _utf8_problem(head, whole_file):
        return "utf-8"
    try:
        head.decode("cp1252") if whole_file else codecs.getincrementaldecoder("cp1252")().decode(head)
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _utf8_problem(head: bytes, whole_file: bool) -> str:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole_file)
    except UnicodeDecodeError as error:
        return f"byte 0x{head[error.start]:02x} at offset {error.start} is not valid UTF-8"
    return ""


def _plan_csv(
    spec: InputSpec,
    path: Path,
    label: str,
    file_format: str,
    head: bytes,
    settings: InputSettings,
    work: Path,
) -> ReadPlan:
    size = path.stat().st_size
    whole_file = file_format == "csv" and size <= len(head)
    has_bom = head.startswith(_UTF8_BOM)
    encoding = "utf-8" if has_bom and settings.encoding == "auto" else None
    encoding = encoding or _decide_encoding(head, whole_file, settings, label, spec)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=whole_file)
    if has_bom:
        text = text.removeprefix("\ufeff")
    if not whole_file and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # drop a line cut by the sample's end
    delimiter, header_line, header, positions = _find_header(spec, text, settings, label)
    read_path, compression = path, "gzip" if file_format == "csv.gz" else "none"
    if encoding != "utf-8":
        read_path, compression = _utf8_copy(path, file_format, encoding, work, label), "none"
    elif _GLOB_CHARACTERS.search(str(path)):
        read_path = _plain_link(path, work)
    return ReadPlan(
        spec=spec,
        path=path,
        file_format=file_format,
        file_bytes=size,
        encoding=encoding,
        has_byte_order_mark=has_bom,
        delimiter=delimiter,
        header_line=header_line,
        header=header,
        positions=positions,
        read_path=read_path,
        settings=settings,
        compression=compression,
    )


def _plan_parquet(spec: InputSpec, path: Path, label: str, settings: InputSettings, work: Path) -> ReadPlan:
    read_path = _plain_link(path, work) if _GLOB_CHARACTERS.search(str(path)) else path
    connection = duckdb.connect()
    try:
        header = tuple(connection.read_parquet(str(read_path)).columns)
    except duckdb.Error as error:
        raise InputFileError(f"{label} is a damaged Parquet file: {_first_line(error)}") from None
    finally:
        connection.close()
    positions = _resolve_columns(spec, header, settings, label, where="its Parquet schema")
    return ReadPlan(
        spec=spec,
        path=path,
        file_format="parquet",
        file_bytes=path.stat().st_size,
        encoding="binary",
        has_byte_order_mark=False,
        delimiter=None,
        header_line=None,
        header=header,
        positions=positions,
        read_path=read_path,
        settings=settings,
    )


def normalise_name(name: str) -> str:
    """A header name as compared: no case, spaces, underscores, punctuation ('Customer ID': 'customerid')."""
    return re.sub(r"[\W_]+", "", name.replace("\ufeff", "")).casefold()


def _find_header(
    spec: InputSpec, text: str, settings: InputSettings, label: str
) -> tuple[str, int, tuple[str, ...], dict[str, int]]:
    """The delimiter, the header's 1-based last physical line, its names and the column positions."""
    best: tuple[int, int, str, int, tuple[str, ...]] | None = (
        None  # (-score, record, delimiter, line, header)
    )
    for order, delimiter in enumerate(DELIMITERS):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
        try:
            for record_index in range(HEADER_SEARCH_LINES):
                fields = next(reader, None)
                if fields is None:
                    break
                score = len(_match_columns(spec, tuple(fields), settings))
                candidate = (-score, record_index, order, reader.line_num, tuple(fields))
                if score and (best is None or candidate[:3] < best[:3]):
                    best = candidate
        except csv.Error:
            continue
    if best is None:
        first_line = text.splitlines()[0] if text.strip() else ""
        raise InputFileError(
            f"{label} is missing required column(s) {', '.join(spec.column_names)}: no line among its first "
            f"{HEADER_SEARCH_LINES} names any of them (delimiters tried: comma, semicolon, tab, pipe; "
            f"its first line reads: '{first_line[:200]}')"
        )
    _, _, order, line, header = best
    positions = _resolve_columns(spec, header, settings, label, where=f"its header (line {line})")
    return DELIMITERS[order], line, header, positions


def _match_columns(spec: InputSpec, header: Sequence[str], settings: InputSettings) -> dict[str, list[int]]:
    """Required column -> positions of the header names that could be it."""
    found: dict[str, list[int]] = {}
    normalised = [normalise_name(name) for name in header]
    for column in spec.columns:
        mapped = settings.columns.get(column.name)
        if mapped is not None:
            exact = [i for i, name in enumerate(header) if name.strip() == mapped.strip()]
            hits = exact or [i for i, name in enumerate(normalised) if name == normalise_name(mapped)]
        else:
            wanted = {normalise_name(name) for name in column.names_tried}
            hits = [i for i, name in enumerate(normalised) if name in wanted]
        if hits:
            found[column.name] = hits
    return found


def _resolve_columns(
    spec: InputSpec, header: Sequence[str], settings: InputSettings, label: str, where: str
) -> dict[str, int]:
    found = _match_columns(spec, header, settings)
    setting = spec.setting("COLUMNS")
    shown = ", ".join(f"'{name}'" for name in header[:40])
    missing = [column for column in spec.columns if column.name not in found]
    if missing:
        tried = "; ".join(
            f"{column.name}: {settings.columns[column.name]!r} (from {setting})"
            if column.name in settings.columns
            else f"{column.name}: {', '.join(column.names_tried)}"
            for column in missing
        )
        raise InputFileError(
            f"{label} is missing required column(s) {', '.join(column.name for column in missing)} "
            f"(names tried, without regard to case, spaces or punctuation: {tried}); {where} has {shown}. "
            f"If the file names a column differently, map it with {setting}, "
            f'e.g. {setting}=\'{{"{missing[0].name}": "<name in the file>"}}\''
        )
    ambiguous = {name: hits for name, hits in found.items() if len(hits) > 1}
    if ambiguous:
        name, hits = next(iter(ambiguous.items()))
        names = " and ".join(f"'{header[i]}'" for i in hits)
        raise InputFileError(
            f"{label}: {where} has {names}, each could be column {name}; "
            f'say which one with {setting}=\'{{"{name}": "<name in the file>"}}\''
        )
    taken: dict[int, str] = {}
    for name, hits in found.items():
        if hits[0] in taken:
            raise InputFileError(
                f"{label}: header name '{header[hits[0]]}' would be both {taken[hits[0]]} and {name}; "
                f"map them with {setting}"
            )
        taken[hits[0]] = name
    return {name: hits[0] for name, hits in found.items()}


def _work_file(path: Path, work: Path, suffix: str, *extra: str) -> Path:
    stat = path.stat()
    key = "|".join([str(path.resolve()), str(stat.st_size), str(stat.st_mtime_ns), *extra])
    work.mkdir(parents=True, exist_ok=True)
    return work / f"input-{hashlib.sha256(key.encode()).hexdigest()[:16]}{suffix}"


def _plain_link(path: Path, work: Path) -> Path:
    """A symbolic link with a plain name to a path that holds glob characters."""
    suffix = "".join(path.suffixes[-2:]) if path.name.lower().endswith(".gz") else path.suffix
    link = _work_file(path, work, suffix or ".csv", "link")
    if not link.is_symlink() or Path(os.readlink(link)) != path.resolve():
        temporary = link.with_name(link.name + ".tmp")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(path.resolve())
        os.replace(temporary, link)
    return link


def _utf8_copy(path: Path, file_format: str, encoding: str, work: Path, label: str) -> Path:
    """A UTF-8 copy of a cp1252/Latin-1 file (DuckDB reads UTF-8 only), reused while the file is unchanged."""
    copy = _work_file(path, work, ".utf8.csv", encoding)
    if copy.exists():
        return copy
    temporary = copy.with_name(copy.name + f".tmp-{os.getpid()}")
    opener = gzip.open if file_format == "csv.gz" else open
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    try:
        with opener(path, "rb") as source, temporary.open("w", encoding="utf-8", newline="") as target:
            while chunk := source.read(4 * 1024 * 1024):
                try:
                    target.write(decoder.decode(chunk))
                except UnicodeDecodeError as error:
                    raise InputFileError(
                        f"{label} is not {encoding} throughout: byte 0x{chunk[error.start]:02x} at offset "
                        f"{offset + error.start} cannot be decoded; set its _ENCODING setting to latin-1"
                    ) from None
                offset += len(chunk)
            target.write(decoder.decode(b"", final=True))
        os.replace(temporary, copy)
    except (OSError, EOFError, zlib.error) as error:
        raise InputFileError(f"{label} could not be converted to UTF-8: {error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return copy


def _check_reads(plan: ReadPlan, label: str) -> None:
    """Read the first rows with the plan's own SQL: the options that the models will use."""
    connection = duckdb.connect()
    try:
        rows = connection.sql(f"select * from ({plan.select_sql()}) limit 1").fetchall()
    except duckdb.Error as error:
        raise InputFileError(
            f"{label} could not be read with the detected layout: {_first_line(error)}"
        ) from None
    finally:
        connection.close()
    if not rows:
        raise InputFileError(f"{label} has a header but no data rows")


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return " ".join(lines[:3])


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value_literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _literal(str(value))
