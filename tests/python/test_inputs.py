"""Reading raw inputs (custseg.inputs): what each file is, how it is read, or why it is refused.

These run without dbt. The whole path through dbt (hook, models, counts) is covered by
test_input_corpus.py on a generated corpus of variant and malformed files.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import PROJECT_ROOT

from custseg.inputs import (
    INPUT_SPECS,
    ONLINE_RETAIL_TRANSACTIONS_COLUMNS,
    InputFileError,
    InputSettings,
    check_input_file,
    input_file_problem,
    plan_input,
    register_input,
)

HEADER = ",".join(ONLINE_RETAIL_TRANSACTIONS_COLUMNS)
GOOD_LINE = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom"
TRANSACTIONS = "online_retail_transactions"
SPEC = INPUT_SPECS[TRANSACTIONS]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def rows_read(path: Path, work_dir: Path, settings: InputSettings | None = None) -> list[tuple]:
    """Every row as the models will see it, read with the plan's own SQL."""
    plan = plan_input(path, TRANSACTIONS, settings, work_dir)
    with duckdb.connect() as connection:
        return connection.sql(plan.select_sql()).fetchall()


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        ("empty.csv", b"", "is empty (0 bytes)"),
        ("header_only.csv", f"{HEADER}\n".encode(), "has a header but no data rows"),
        ("binary.csv", b"\x00\x01\x02garbage\x00" * 50, "is not a CSV text file"),
        (
            "truncated.csv.gz",
            gzip.compress(f"{HEADER}\n{GOOD_LINE}\n".encode() * 50)[:40],
            "damaged gzip",
        ),
        ("utf16.csv", f"{HEADER}\n{GOOD_LINE}\n".encode("utf-16"), "is UTF-16 text"),
        ("utf16_no_bom.csv", f"{HEADER}\n{GOOD_LINE}\n".encode("utf-16-le"), "is UTF-16 text"),
        ("workbook.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "is an Excel workbook (.xlsx"),
        ("old_workbook.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003 workbook"),
        (
            "no_customer.csv",
            b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,Country\n1,2,3,4,5,6,7\n",
            "missing required column(s) CustomerID (names tried, without regard to case, spaces or "
            "punctuation: CustomerID: CustomerID, Customer ID, Customer Number)",
        ),
        (
            "two_missing.csv",
            b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,Country\n1,2,3,4,5,6\n",
            "missing required column(s) UnitPrice, CustomerID",
        ),
        ("one_column.csv", b"just some words\nand more words\n", "missing required column(s) InvoiceNo"),
        (
            "two_invoice_columns.csv",
            f"{HEADER},Invoice\n{GOOD_LINE},x\n".encode(),
            "'InvoiceNo' and 'Invoice', each could be column InvoiceNo",
        ),
    ],
)
def test_bad_file_is_named_with_its_problem(tmp_path: Path, file_name, content, expected):
    path = tmp_path / file_name
    path.write_bytes(content)
    with pytest.raises(InputFileError) as raised:
        check_input_file(path, TRANSACTIONS, work_dir=tmp_path / "work")
    message = str(raised.value)
    assert expected in message
    assert str(path) in message


def test_utf16_and_workbook_messages_say_how_to_export(tmp_path: Path):
    utf16 = write(tmp_path / "u.csv", f"{HEADER}\n{GOOD_LINE}\n", "utf-16")
    assert "CSV UTF-8" in input_file_problem(str(utf16), TRANSACTIONS)
    assert "iconv -f UTF-16 -t UTF-8" in input_file_problem(str(utf16), TRANSACTIONS)
    workbook = tmp_path / "w.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    assert "File > Save As" in input_file_problem(str(workbook), TRANSACTIONS)


def test_missing_column_message_names_the_setting_and_drops_the_old_advice(tmp_path: Path):
    path = write(
        tmp_path / "x.csv",
        "Bill,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n1,2,3,4,5,6,7,8\n",
    )
    message = input_file_problem(str(path), TRANSACTIONS)
    assert "missing required column(s) InvoiceNo" in message
    assert "InvoiceNo: InvoiceNo, Invoice, Invoice Number" in message
    assert 'ONLINE_RETAIL_TRANSACTIONS_COLUMNS=\'{"InvoiceNo": "<name in the file>"}\'' in message
    assert "readable file" not in message


def test_missing_file_and_directory_are_named(tmp_path: Path):
    missing = tmp_path / "nowhere.csv"
    assert input_file_problem(str(missing), TRANSACTIONS) == (
        f"online_retail_transactions input file '{missing}' does not exist"
    )
    assert "is a directory" in input_file_problem(str(tmp_path), TRANSACTIONS)
    assert "no path is set" in input_file_problem("  ", TRANSACTIONS)


def test_unknown_kind_is_refused(tmp_path: Path):
    path = write(tmp_path / "x.csv", f"{HEADER}\n{GOOD_LINE}\n")
    assert "unknown input kind 'orders'" in input_file_problem(str(path), "orders")


@pytest.mark.parametrize(
    ("delimiter", "header"),
    [
        (",", HEADER),
        (";", HEADER.lower()),
        ("\t", HEADER.upper()),
        ("|", HEADER),
    ],
)
def test_delimiters_case_and_extra_columns_are_accepted(tmp_path: Path, delimiter, header):
    columns = header.split(",") + ["Extra"]
    values = GOOD_LINE.split(",") + ["ignored"]
    path = write(tmp_path / "ok.csv", delimiter.join(columns) + "\n" + delimiter.join(values) + "\n")
    plan = plan_input(path, TRANSACTIONS, work_dir=tmp_path / "work")
    assert plan.delimiter == delimiter
    assert [name.lower() for name in plan.header] == [name.lower() for name in columns]
    assert plan.ignored_columns == "Extra"
    assert input_file_problem(str(path), TRANSACTIONS) == ""


def test_other_years_names_and_spacing_variants_map_to_the_columns(tmp_path: Path):
    header = "Invoice,Stock Code,description,QUANTITY,invoice_date,Price,Customer ID,Country"
    path = write(tmp_path / "ii.csv", f"{header}\n{GOOD_LINE}\n")
    plan = plan_input(path, TRANSACTIONS, work_dir=tmp_path / "work")
    assert plan.renamed_columns == (
        "InvoiceNo=Invoice; StockCode=Stock Code; Description=description; Quantity=QUANTITY; "
        "InvoiceDate=invoice_date; UnitPrice=Price; CustomerID=Customer ID"
    )


def test_a_setting_maps_any_other_name(tmp_path: Path):
    header = "Bill No,StockCode,Description,Quantity,InvoiceDate,Cost (GBP),CustomerID,Country"
    path = write(tmp_path / "mapped.csv", f"{header}\n{GOOD_LINE}\n")
    settings = InputSettings.from_values(
        SPEC, {"columns": '{"InvoiceNo": "Bill No", "UnitPrice": "cost gbp"}'}
    )
    row = rows_read(path, tmp_path / "work", settings)[0]
    assert row[3] == "536365" and row[8] == "2.55"
    with pytest.raises(InputFileError, match="names unknown column"):
        InputSettings.from_values(SPEC, {"columns": '{"Invoice": "Bill No"}'})
    with pytest.raises(InputFileError, match="not a JSON object"):
        InputSettings.from_values(SPEC, {"columns": "InvoiceNo=Bill No"})


def test_header_below_a_report_title_and_a_pandas_index_column(tmp_path: Path):
    text = f"Sales report, December\nsep=,\n,{HEADER}\n0,{GOOD_LINE}\n1,{GOOD_LINE}\n"
    path = write(tmp_path / "report.csv", text)
    plan = plan_input(path, TRANSACTIONS, work_dir=tmp_path / "work")
    assert (plan.header_line, plan.lines_before_header) == (3, 2)
    assert plan.ignored_columns == "(unnamed column 1)"
    assert len(rows_read(path, tmp_path / "work")) == 2


def test_quoted_line_breaks_and_ragged_rows_are_read_row_by_row(tmp_path: Path):
    text = (
        f"{HEADER}\n"
        '536365,85123A,"HEART\nWITH A LINE BREAK, AND A COMMA",6,2010-12-01 08:26:00,2.55,17850,France\n'
        "536366,85123A\n"
        f"{GOOD_LINE},unexpected\n"
        f"{GOOD_LINE}\n"
        "Total,4 lines\n"
    )
    path = write(tmp_path / "ragged.csv", text)
    rows = rows_read(path, tmp_path / "work")
    assert [(row[1], row[2]) for row in rows] == [
        (8, None),
        (2, None),
        (9, "unexpected"),
        (8, None),
        (2, None),
    ]
    assert rows[0][5] == "HEART\nWITH A LINE BREAK, AND A COMMA"
    assert rows[1][3:6] == ("536366", "85123A", None)  # fields the short row lacks are NULL


def test_empty_fields_are_empty_text_and_missing_fields_null(tmp_path: Path):
    path = write(tmp_path / "empty_fields.csv", f"{HEADER}\n536365,85123A,,6,2010-12-01 08:26:00,2.55,,\n")
    row = rows_read(path, tmp_path / "work")[0]
    assert row[1] == 8
    assert (row[5], row[9], row[10]) == ("", "", "")


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_cp1252_and_latin1_are_detected_and_read_right(tmp_path: Path, encoding):
    text = f"{HEADER}\r\n536365,85123A,CAFÉ SIGN £5,6,2010-12-01 08:26:00,2.55,17850,Côte d'Ivoire\r\n"
    if encoding == "cp1252":
        text = text.replace("CAFÉ SIGN £5", "CAFÉ SIGN £5 – €6 “NEW”")
    path = write(tmp_path / "excel.csv", text, encoding)
    plan = plan_input(path, TRANSACTIONS, work_dir=tmp_path / "work")
    assert plan.encoding == "cp1252"  # latin-1 text without C1 controls is cp1252 too
    assert plan.read_path != path and plan.read_path.read_text(encoding="utf-8").startswith("InvoiceNo")
    row = rows_read(path, tmp_path / "work")[0]
    assert row[5].startswith("CAFÉ SIGN £5") and row[10] == "Côte d'Ivoire"
    if encoding == "cp1252":
        assert row[5] == "CAFÉ SIGN £5 – €6 “NEW”"


def test_latin1_bytes_that_cp1252_lacks_fall_back_to_latin1(tmp_path: Path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        f"{HEADER}\n536365,85123A,A\x81B é,6,2010-12-01 08:26:00,2.55,17850,France\n".encode("latin-1")
    )
    plan = plan_input(path, TRANSACTIONS, work_dir=tmp_path / "work")
    assert plan.encoding == "latin-1"
    assert rows_read(path, tmp_path / "work")[0][5] == "A\x81B é"


def test_utf8_with_bom_and_crlf(tmp_path: Path):
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + f"{HEADER}\r\n536365,85123A,CAFÉ £5,6,2010-12-01 08:26:00,2.55,17850,France\r\n".encode()
    )
    plan = plan_input(path, TRANSACTIONS, work_dir=tmp_path / "work")
    assert (plan.encoding, plan.has_byte_order_mark, plan.read_path) == ("utf-8", True, path)
    assert rows_read(path, tmp_path / "work")[0][5:] == (
        "CAFÉ £5",
        "6",
        "2010-12-01 08:26:00",
        "2.55",
        "17850",
        "France",
    )


def test_an_encoding_setting_that_the_bytes_contradict_is_refused(tmp_path: Path):
    path = write(
        tmp_path / "x.csv", f"{HEADER}\n536365,85123A,£,6,2010-12-01 08:26:00,2.55,17850,France\n", "cp1252"
    )
    settings = InputSettings.from_values(SPEC, {"encoding": "utf-8"})
    with pytest.raises(InputFileError, match="is not UTF-8 as ONLINE_RETAIL_TRANSACTIONS_ENCODING says"):
        plan_input(path, TRANSACTIONS, settings, tmp_path / "work")


@pytest.mark.parametrize(
    "name",
    ["tx_{name}.csv", "tx_{2011}.csv", "it's a file; with spaces.csv", "tx_[1].csv", "tx_?.csv", "tx*.csv"],
)
def test_any_path_reads_exactly_that_file(tmp_path: Path, name):
    target = write(tmp_path / name, f"{HEADER}\n{GOOD_LINE}\n")
    # Files that a format string, a glob or a bracket pattern would pick instead.
    for decoy in ["tx_transactions.csv", "tx_1.csv", "tx_n.csv", "tx_a.csv", "txx.csv"]:
        write(tmp_path / decoy, f"{HEADER}\n{GOOD_LINE.replace('536365', '999999')}\n" * 3)
    rows = rows_read(target, tmp_path / "work")
    assert [row[3] for row in rows] == ["536365"]


def test_gzip_and_parquet_are_read_whatever_their_names(tmp_path: Path):
    gz = tmp_path / "ok.csv.gz"
    gz.write_bytes(gzip.compress(f"{HEADER}\n{GOOD_LINE}\n".encode()))
    assert plan_input(gz, TRANSACTIONS, work_dir=tmp_path).file_format == "csv.gz"
    misnamed = tmp_path / "really_gzip.csv"
    misnamed.write_bytes(gz.read_bytes())
    assert plan_input(misnamed, TRANSACTIONS, work_dir=tmp_path).file_format == "csv.gz"
    plain_named_gz = write(tmp_path / "plain.csv.gz", f"{HEADER}\n{GOOD_LINE}\n")
    assert plan_input(plain_named_gz, TRANSACTIONS, work_dir=tmp_path).file_format == "csv"

    parquet = tmp_path / "ok.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select InvoiceNo as Invoice, * exclude (InvoiceNo) "
            f"from read_csv('{gz}', all_varchar = true)) to '{parquet}' (format parquet)"
        )
    plan = plan_input(parquet, TRANSACTIONS, work_dir=tmp_path)
    assert plan.file_format == "parquet" and plan.renamed_columns == "InvoiceNo=Invoice"
    assert rows_read(parquet, tmp_path)[0][3] == "536365"


def test_register_input_answers_with_the_statements_or_the_problem(tmp_path: Path):
    good = write(tmp_path / "good.csv", f"{HEADER}\n{GOOD_LINE}\n")
    request = json.dumps(
        {"kind": TRANSACTIONS, "default_path": "unused.csv", "view": "raw_tx", "files_table": "raw_tx_files"}
    )
    environ = {
        "ONLINE_RETAIL_TRANSACTIONS_PATH": str(good),
        "ONLINE_RETAIL_TRANSACTIONS_DATE_ORDER": "day_first",
    }
    answer = json.loads(register_input(request, tmp_path / "work", environ))
    with duckdb.connect() as connection:
        for statement in answer["statements"]:
            connection.execute(statement)
        assert connection.sql("select count(*) from raw_tx").fetchall() == [(1,)]
        assert connection.sql(
            "select file_path, encoding, delimiter, date_order_setting from raw_tx_files"
        ).fetchall()[0] == (
            str(good),
            "utf-8",
            ",",
            "day_first",
        )
    problem = json.loads(
        register_input(request, tmp_path / "work", {"ONLINE_RETAIL_TRANSACTIONS_PATH": "/nope.csv"})
    )
    assert problem == {
        "problem": "online_retail_transactions input file '/nope.csv' does not exist",
        "setting": "ONLINE_RETAIL_TRANSACTIONS_PATH",
    }
    bad_setting = json.loads(
        register_input(
            request, tmp_path / "work", {**environ, "ONLINE_RETAIL_TRANSACTIONS_DATE_ORDER": "dmy"}
        )
    )
    assert "ONLINE_RETAIL_TRANSACTIONS_DATE_ORDER is 'dmy'" in bad_setting["problem"]


def test_the_sources_document_what_the_reader_produces():
    """One owner: the required columns are custseg.inputs's; the source YAML documents the same ones."""
    files_columns = [name for name, _, _ in plan_columns()]
    for source_file, table, kind in [
        ("models/staging/online_retail/_online_retail__sources.yml", "transactions", TRANSACTIONS),
        ("models/staging/smartcart/_smartcart__sources.yml", "customers", "smartcart_customers"),
    ]:
        source = yaml.safe_load((PROJECT_ROOT / source_file).read_text())["sources"][0]
        tables = {entry["name"]: entry for entry in source["tables"]}
        documented = [column["name"] for column in tables[table]["columns"]]
        assert documented == ["_file_id", "_field_count", "_extra_field", *INPUT_SPECS[kind].column_names]
        assert tables[table]["config"]["meta"]["input_kind"] == kind
        assert [column["name"] for column in tables[f"{table}_files"]["columns"]] == files_columns


def plan_columns() -> list[tuple[str, str, object]]:
    sample = PROJECT_ROOT / "data" / "sample" / "online_retail_transactions.csv.gz"
    return plan_input(sample, TRANSACTIONS).file_record()


def test_bad_file_fails_the_dbt_build_with_a_clear_message(tmp_path: Path, run_dbt):
    bad = write(
        tmp_path / "no_country.csv",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
        "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850\n",
    )
    result = run_dbt("build", env={"ONLINE_RETAIL_TRANSACTIONS_PATH": str(bad)})
    assert result.returncode != 0
    assert f"'{bad}' is missing required column(s) Country" in result.output
    assert "ONLINE_RETAIL_TRANSACTIONS_PATH" in result.output
    assert "Traceback" not in result.output


def test_bad_rows_are_rejected_with_reasons_and_counted(tmp_path: Path, run_dbt):
    good = "536365;85123A;HEART;6;2010-12-01 08:26:00;2.55;17850;United Kingdom;ok"
    lines = [
        "invoiceno;stockcode;description;quantity;invoicedate;unitprice;customerid;country;note",
        good,
        good,
        "536366;22633;HAND WARMER;6;2010-12-01 08:28:00;1.85;;United Kingdom;x",
        "536367;22633;HAND WARMER;six;2010-12-01 08:28:00;1.85;13047;France;x",
        "536368;22633;HAND WARMER;6;2010-12-01 08:28:00;1.85p;13047;France;x",
        "536369;22633;HAND WARMER;6;the first of december;1.85;13047;France;x",
        ";22633;HAND WARMER;6;2010-12-01 08:28:00;1.85;13047;France;x",
        "536370;;HAND WARMER;6;2010-12-01 08:28:00;1.85;13047;France;x",
        "C536371;22633;HAND WARMER;-6;2010-12-02 08:28:00;1.85;13047;France;x",
        "536372;22633;HAND WARMER;2.5;2010-12-02 08:28:00;1.85;13047;France;x",
        "536373;22633",
    ]
    # Enough good lines that no column is mostly rejected (var input_column_max_rejected_share).
    lines += [
        f"5364{i:02d};22633;HAND WARMER;{i + 1};2010-12-03 08:28:00;1.85;13047;France;x" for i in range(40)
    ]
    raw = write(tmp_path / "lines.csv", "\n".join(lines) + "\n")
    result = run_dbt(
        "build",
        "--select",
        "staging",
        "source:*",
        "--indirect-selection",
        "cautious",
        env={"ONLINE_RETAIL_TRANSACTIONS_PATH": str(raw)},
    )
    assert result.returncode == 0, result.output
    reasons = dict(
        result.query(
            "select rejection_reason, count(*) from staging.stg_online_retail__rejected_lines group by 1"
        )
    )
    assert reasons == {
        "duplicate_line": 1,
        "missing_customer_id": 1,
        "non_numeric_quantity": 1,
        "non_numeric_unit_price": 1,
        "unparseable_invoice_date": 1,
        "missing_invoice_no": 1,
        "missing_stock_code": 1,
        "fractional_quantity": 1,
        "malformed_row": 1,
    }
    clean = result.query(
        "select invoice_no, is_return from staging.stg_online_retail__transactions "
        "where invoice_no in ('536365', 'C536371') order by 1"
    )
    assert clean == [("536365", False), ("C536371", True)]
    assert result.scalar("select count(*) from staging.stg_online_retail__transactions") == 42
    assert "rows_accounted_for" in result.output
