"""Malformed raw inputs: a clear message naming the file and problem, or a rejected row with a reason."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from custseg.inputs import (
    ONLINE_RETAIL_TRANSACTIONS_COLUMNS,
    InputFileError,
    check_input_file,
    input_file_problem,
)

HEADER = ",".join(ONLINE_RETAIL_TRANSACTIONS_COLUMNS)
GOOD_LINE = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom"
TRANSACTIONS = "online_retail_transactions"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        ("empty.csv", b"", "is empty (0 bytes)"),
        ("header_only.csv", f"{HEADER}\n".encode(), "has a header but no data rows"),
        ("binary.csv", b"\x00\x01\x02garbage\x00" * 50, "is not a CSV text file"),
        ("not_gzip.csv.gz", f"{HEADER}\n{GOOD_LINE}\n".encode(), "is not gzip-compressed"),
        (
            "truncated.csv.gz",
            gzip.compress(f"{HEADER}\n{GOOD_LINE}\n".encode() * 50)[:40],
            "damaged gzip",
        ),
        ("csv_named.parquet", f"{HEADER}\n{GOOD_LINE}\n".encode(), "is not a Parquet file"),
        ("gzip_named.csv", gzip.compress(f"{HEADER}\n{GOOD_LINE}\n".encode()), "is a binary"),
        (
            "no_customer.csv",
            b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,Country\n1,2,3,4,5,6,7\n",
            "missing required column(s) CustomerID",
        ),
        (
            "two_missing.csv",
            b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,Country\n1,2,3,4,5,6\n",
            "missing required column(s) UnitPrice, CustomerID",
        ),
        (
            "one_column.csv",
            b"just some words\nand more words\n",
            "missing required column(s) InvoiceNo",
        ),
    ],
)
def test_bad_file_is_named_with_its_problem(tmp_path: Path, file_name, content, expected):
    path = tmp_path / file_name
    path.write_bytes(content)
    with pytest.raises(InputFileError) as raised:
        check_input_file(path, TRANSACTIONS)
    message = str(raised.value)
    assert expected in message
    assert str(path) in message


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
    ],
)
def test_delimiters_case_and_extra_columns_are_accepted(tmp_path: Path, delimiter, header):
    columns = header.split(",") + ["Extra"]
    values = GOOD_LINE.split(",") + ["ignored"]
    path = write(
        tmp_path / "ok.csv",
        delimiter.join(columns) + "\n" + delimiter.join(values) + "\n",
    )
    found = check_input_file(path, TRANSACTIONS)
    assert [name.lower() for name in found] == [name.lower() for name in columns]
    assert input_file_problem(str(path), TRANSACTIONS) == ""


def test_gzip_and_parquet_are_accepted(tmp_path: Path):
    import duckdb

    gz = tmp_path / "ok.csv.gz"
    gz.write_bytes(gzip.compress(f"{HEADER}\n{GOOD_LINE}\n".encode()))
    assert input_file_problem(str(gz), TRANSACTIONS) == ""

    parquet = tmp_path / "ok.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * from read_csv('{gz}', all_varchar = true)) to '{parquet}' (format parquet)"
        )
    assert input_file_problem(str(parquet), TRANSACTIONS) == ""


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
    lines = [
        "invoiceno;stockcode;description;quantity;invoicedate;unitprice;customerid;country;note",
        "536365;85123A;HEART;6;2010-12-01 08:26:00;2.55;17850;United Kingdom;ok",
        "536365;85123A;HEART;6;2010-12-01 08:26:00;2.55;17850;United Kingdom;ok",
        "536366;22633;HAND WARMER;6;2010-12-01 08:28:00;1.85;;United Kingdom;x",
        "536367;22633;HAND WARMER;six;2010-12-01 08:28:00;1.85;13047;France;x",
        "536368;22633;HAND WARMER;6;2010-12-01 08:28:00;1,85;13047;France;x",
        "536369;22633;HAND WARMER;6;the first of december;1.85;13047;France;x",
        ";22633;HAND WARMER;6;2010-12-01 08:28:00;1.85;13047;France;x",
        "536370;;HAND WARMER;6;2010-12-01 08:28:00;1.85;13047;France;x",
        "C536371;22633;HAND WARMER;-6;2010-12-02 08:28:00;1.85;13047;France;x",
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
    }
    clean = result.query(
        "select invoice_no, is_return from staging.stg_online_retail__transactions order by 1"
    )
    assert clean == [("536365", False), ("C536371", True)]
    assert "rows_accounted_for" in result.output
