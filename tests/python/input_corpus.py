"""A generated corpus of variant and malformed raw files, each with the outcome it must have.

Every case writes its file(s) into a folder (nothing large is committed) and says what a build
on it must do: load with these row counts (raw = clean + rejected is asserted on each), plus
checks (SQL on the built warehouse and the value each must return); or fail with a message that
names the file and the column (fragments that must all appear in the build's output). The cases
cover what real exports do: other years of the retailer (Invoice, Price, Customer ID), the
customer table as published (tab-separated, extra columns, ISO dates), Excel (cp1252, a
byte-order mark, CRLF, semicolons and decimal commas, a report title, Unicode text, workbooks),
pandas (an index column), and damage (ragged rows, footers, an unclosed quote, a column that does
not parse, values that cannot be real, paths with braces, quotes and glob characters).

test_input_corpus.py builds every case through dbt (in one process, tools/corpus_driver.py).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

TRANSACTION_HEADER = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
CUSTOMER_HEADER = (
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
PRODUCTS = (
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "2.55"),
    ("71053", "WHITE METAL LANTERN", "3.39"),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", "2.75"),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", "7.65"),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", "4.25"),
)
CUSTOMERS = ("13047", "14527", "15098", "17850", "12583")
START = datetime(2011, 3, 1, 8, 26)


@dataclass(frozen=True)
class Line:
    """One transaction line, before it is written in a file's dialect."""

    invoice: str
    code: str
    description: str
    quantity: str
    at: datetime
    price: str
    customer: str
    country: str = "United Kingdom"

    def fields(self, date_format: str = "%Y-%m-%d %H:%M:%S", decimal: str = ".") -> list[str]:
        return [
            self.invoice,
            self.code,
            self.description,
            self.quantity,
            self.at.strftime(date_format),
            self.price.replace(".", decimal) if decimal != "." else self.price,
            self.customer,
            self.country,
        ]


def good_lines(count: int, start: int = 0, day_step: int = 1) -> list[Line]:
    """Distinct, clean purchase lines: four per invoice, five products, five customers."""
    lines = []
    for i in range(start, start + count):
        invoice = 540000 + i // 4
        code, description, price = PRODUCTS[i % len(PRODUCTS)]
        lines.append(
            Line(
                invoice=str(invoice),
                code=code,
                description=description,
                quantity=str(1 + i % 12),
                at=START + timedelta(days=(i // 4) * day_step, minutes=i % 4),
                price=price,
                customer=CUSTOMERS[(i // 4) % len(CUSTOMERS)],
            )
        )
    return lines


def csv_text(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    delimiter: str = ",",
    newline: str = "\n",
    quote_all: bool = False,
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def transactions_text(lines: Sequence[Line], header: Sequence[str] = TRANSACTION_HEADER, **options) -> str:
    date_format = options.pop("date_format", "%Y-%m-%d %H:%M:%S")
    decimal = options.pop("decimal", ".")
    return csv_text(header, [line.fields(date_format, decimal) for line in lines], **options)


def good_customers(count: int, start: int = 0) -> list[list[str]]:
    """Distinct, clean SmartCart rows; enrolment dates with days above 12 (day first, dd-mm-yyyy)."""
    rows = []
    for i in range(start, start + count):
        enrolled = datetime(2013, 1, 1) + timedelta(days=9 * i)
        rows.append(
            [
                str(5000 + i),
                str(1950 + i % 40),
                ("Graduation", "PhD", "Master", "Basic", "2n Cycle")[i % 5],
                ("Single", "Together", "Married", "Divorced")[i % 4],
                str(30000 + 731 * i),
                str(i % 2),
                str(i % 3 % 2),
                enrolled.strftime("%d-%m-%Y"),
                str(i % 99),
                str(100 + i),
                str(10 + i % 7),
                str(50 + i),
                str(5 + i % 11),
                str(3 + i % 5),
                str(20 + i % 13),
                str(1 + i % 4),
                str(2 + i % 6),
                str(i % 5),
                str(3 + i % 7),
                str(4 + i % 5),
                "0",
                str(i % 2),
            ]
        )
    return rows


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loads:
    """The build succeeds; the source's raw, clean and rejected counts (by reason) are these."""

    raw: int
    clean: int
    rejected: dict[str, int] = field(default_factory=dict)
    checks: dict[str, object] = field(default_factory=dict)  # SQL -> its one value


@dataclass(frozen=True)
class Fails:
    """The build stops ('check': in the input check, before any model; 'build': in a model)."""

    stage: str
    message: tuple[str, ...]  # fragments; {path} is the case's file path


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # 'transactions' or 'customers'
    write: Callable[[Path], Path]  # writes the file(s) into a folder, returns the path to read
    outcome: Loads | Fails
    settings: dict[str, str] = field(default_factory=dict)  # extra environment variables
    # quick: the source up to its data-quality report, with the row-accounting test; marts: also
    # the retailer's customer marts, with the customer-accounting test; full: also every data test.
    scope: str = "quick"

    @property
    def path_setting(self) -> str:
        return (
            "ONLINE_RETAIL_TRANSACTIONS_PATH" if self.source == "transactions" else "SMARTCART_CUSTOMERS_PATH"
        )


def _file(name: str, content: Callable[[], bytes]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content())
        return path

    return write


def _text(
    name: str, text: Callable[[], str], encoding: str = "utf-8", bom: bool = False
) -> Callable[[Path], Path]:
    return _file(name, lambda: (codecs.BOM_UTF8 if bom else b"") + text().encode(encoding))


def _with_decoys(name: str, text: Callable[[], str], decoys: Sequence[str]) -> Callable[[Path], Path]:
    """The file, and files beside it that a format string or a glob would read instead."""

    def write(folder: Path) -> Path:
        for decoy in decoys:
            (folder / decoy).write_text(transactions_text(good_lines(10, start=500)), encoding="utf-8")
        path = folder / name
        path.write_text(text(), encoding="utf-8")
        return path

    return write


def _lines_with(extra: Sequence[Sequence[str]], good: int = 60, **options) -> str:
    rows = [line.fields() for line in good_lines(good)] + [list(row) for row in extra]
    return csv_text(TRANSACTION_HEADER, rows, **options)


def _raw(text: str) -> Callable[[], str]:
    return lambda: text


RAW = "select count(*) from raw.online_retail.transactions"
CLEAN = "select count(*) from staging.stg_online_retail__transactions"
FILES = "select {column} from staging.base_online_retail__file_formats"
CUSTOMER_FILES = "select {column} from staging.base_smartcart__file_formats"


def _date_of(invoice: str) -> str:
    return f"select cast(min(invoiced_at) as varchar) from staging.stg_online_retail__transactions where invoice_no = '{invoice}'"


def _price_of(invoice: str) -> str:
    return f"select cast(min(unit_price_gbp) as varchar) from staging.stg_online_retail__transactions where invoice_no = '{invoice}'"


def _description_of(invoice: str) -> str:
    return (
        f"select min(description) from staging.stg_online_retail__transactions where invoice_no = '{invoice}'"
    )


def excel_cp1252() -> str:
    """Excel 'CSV (semicolon)' in most of Europe: cp1252, CRLF, semicolons, decimal commas, day first."""
    lines = good_lines(40, day_step=3)
    lines[0] = Line(
        "540000", "85123A", "CAFÉ SIGN £5 – €6 “NEW”", "2", START, "2.55", "13047", "Côte d'Ivoire"
    )
    return transactions_text(lines, delimiter=";", newline="\r\n", date_format="%d/%m/%Y %H:%M", decimal=",")


def _day_first_and_month_first() -> str:
    lines = good_lines(40, day_step=3)
    rows = [line.fields("%d/%m/%Y %H:%M") for line in lines[:20]] + [
        line.fields("%m/%d/%Y %H:%M") for line in lines[20:]
    ]
    return csv_text(TRANSACTION_HEADER, rows)


def _early_days_only() -> str:
    """Every date written day first on days 1-12 of a month: day first and month first both read."""
    lines = []
    for line in good_lines(40):
        invoice = int(line.invoice)
        at = datetime(2011, 1 + (invoice + 5) % 12, 1 + invoice % 12, 10)
        lines.append(
            Line(line.invoice, line.code, line.description, line.quantity, at, line.price, line.customer)
        )
    return transactions_text(lines, date_format="%d/%m/%Y %H:%M")


def _iso_with_zones() -> str:
    rows = [line.fields("%Y-%m-%dT%H:%M:%SZ") for line in good_lines(40)]
    rows[1][4] = "2011-03-01T09:30:00+01:00"
    rows[1][0] = "549999"
    return csv_text(TRANSACTION_HEADER, rows)


def _currency_and_thousands() -> str:
    rows = [line.fields() for line in good_lines(40)]
    rows[0][5], rows[0][0] = "£1,234.50", "549990"
    rows[1][5], rows[1][0] = "$2.55", "549991"
    rows[2][5], rows[2][0] = "2.55 GBP", "549992"
    rows[3][3], rows[3][0] = "1,000", "549993"
    return csv_text(TRANSACTION_HEADER, rows)


def _mixed_decimal_separators() -> str:
    rows = [line.fields() for line in good_lines(40)]
    for row in rows[20:]:
        row[5] = row[5].replace(".", ",")
    return csv_text(TRANSACTION_HEADER, rows, delimiter=";")


def _non_product_codes() -> str:
    base = good_lines(40)
    extra = [
        Line("549001", "23574", "PACKING CHARGE", "1", START, "5.00", "13047"),
        Line("549001", "TEST1", "test item", "1", START, "1.00", "13047"),
        Line("549002", "ADJ01", "Adjustment", "1", START, "3.00", "14527"),
        Line("549003", "XMASBOX", "MYSTERY BOX", "1", START, "9.00", "15098"),
        Line("549003", "85168B", "BLACK BAROQUE CARRIAGE CLOCK", "1", START, "12.00", "15098"),
    ]
    return transactions_text(base + extra)


def _returns_credits_free() -> str:
    """Customers whose figures depend on the return, credit and free-line rules."""
    day = START
    rows = [
        # A: one purchase returned in full the same day, another kept.
        Line("541431", "23166", "MEDIUM CERAMIC TOP STORAGE JAR", "74215", day, "1.04", "12346"),
        Line(
            "C541433",
            "23166",
            "MEDIUM CERAMIC TOP STORAGE JAR",
            "-74215",
            day + timedelta(minutes=16),
            "1.04",
            "12346",
        ),
        Line(
            "541500", "22752", "SET 7 BABUSHKA NESTING BOXES", "2", day + timedelta(days=5), "7.65", "12346"
        ),
        # B: its only purchase returned in full.
        Line("541600", "22752", "SET 7 BABUSHKA NESTING BOXES", "4", day, "7.65", "20001"),
        Line(
            "C541601", "22752", "SET 7 BABUSHKA NESTING BOXES", "-4", day + timedelta(days=1), "7.65", "20001"
        ),
        # C: only a return (of a purchase before the data).
        Line("C541700", "71053", "WHITE METAL LANTERN", "-3", day, "3.39", "20002"),
        # D: only postage.
        Line("541800", "POST", "POSTAGE", "1", day, "18.00", "20003"),
        # E: a purchase and a manual credit on a cancellation invoice.
        Line("541900", "22752", "SET 7 BABUSHKA NESTING BOXES", "60", day, "649.50", "20004"),
        Line("C541901", "M", "Manual", "-1", day + timedelta(minutes=3), "38970.00", "20004"),
        Line(
            "541902",
            "22752",
            "SET 7 BABUSHKA NESTING BOXES",
            "1",
            day + timedelta(minutes=5),
            "649.50",
            "20004",
        ),
        # F: only free lines.
        Line("542000", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "12", day, "0", "20005"),
    ]
    return transactions_text(good_lines(40) + rows)


def _unterminated_quote() -> str:
    """A quote opened in a description on the fifth line and never closed: it swallows the rest."""
    lines = _lines_with([], good=60).splitlines(keepends=True)
    fields = lines[5].split(",")
    fields[2] = '"' + fields[2]
    lines[5] = ",".join(fields)
    return "".join(lines)


def _kaggle_published(date_format: str) -> str:
    """The customer table as published: tab-separated, extra columns around the required ones."""
    header = (
        list(CUSTOMER_HEADER[:8])
        + ["Recency"]
        + list(CUSTOMER_HEADER[9:20])
        + [
            "AcceptedCmp3",
            "AcceptedCmp4",
            "AcceptedCmp5",
            "AcceptedCmp1",
            "AcceptedCmp2",
            "Complain",
            "Z_CostContact",
            "Z_Revenue",
            "Response",
        ]
    )
    rows = []
    for row in good_customers(40):
        enrolled = datetime.strptime(row[7], "%d-%m-%Y")
        row = [*row[:7], enrolled.strftime(date_format), *row[8:]]
        rows.append(row[:20] + ["0", "0", "0", "0", "0", row[20], "3", "11", row[21]])
    return csv_text(header, rows, delimiter="\t")


def _marketing_data() -> str:
    """Kaggle 'Marketing Analytics': ' Income ' with '$58,138.00 ', month-first two-digit years."""
    header = [" Income " if name == "Income" else name for name in CUSTOMER_HEADER] + ["Country"]
    rows = []
    for row in good_customers(40):
        enrolled = datetime.strptime(row[7], "%d-%m-%Y")
        row[4] = f"${int(row[4]):,}.00 "
        row[7] = f"{enrolled.month}/{enrolled.day}/{enrolled.strftime('%y')}"
        rows.append([*row, "SP"])
    return csv_text(header, rows)


def _customers_that_cannot_be_real() -> str:
    rows = good_customers(60)
    rows[0][4] = "-5"
    rows[1][9] = "-100"
    rows[2][1] = "2031"
    return csv_text(CUSTOMER_HEADER, rows)


def _parquet(path: Path) -> Path:
    import duckdb

    staging = path.with_suffix(".csv")
    header = [
        "Invoice",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "Price",
        "Customer ID",
        "Country",
    ]
    staging.write_text(transactions_text(good_lines(40), header=header), encoding="utf-8")
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * from read_csv('{staging}', all_varchar = true)) to '{path}' (format parquet)"
        )
    staging.unlink()
    return path


def _summary(item: str) -> str:
    return f"select report_value from marts.online_retail_data_quality where report_section = 'summary' and report_item = '{item}'"


CASES: tuple[Case, ...] = (
    Case(
        "baseline", "transactions", _text("tx.csv", lambda: transactions_text(good_lines(40))), Loads(40, 40)
    ),
    Case(
        "excel_cp1252_semicolons_decimal_commas_day_first",
        "transactions",
        _text("excel.csv", excel_cp1252, encoding="cp1252"),
        Loads(
            40,
            40,
            checks={
                FILES.format(column="encoding"): "cp1252",
                FILES.format(column="delimiter"): ";",
                FILES.format(column="date_order"): "day_first",
                FILES.format(column="decimal_separator"): "comma",
                _description_of("540000"): "CAFÉ SIGN £5 – €6 “NEW”",
                "select min(country) from staging.stg_online_retail__transactions where description like 'CAF%'": "Côte d'Ivoire",
                _price_of("540001"): "2.5500",
                _date_of("540005"): "2011-03-16 08:26:00",
            },
        ),
    ),
    Case(
        "excel_csv_utf8_bom_crlf_month_first",
        "transactions",
        _text(
            "excel_utf8.csv",
            lambda: transactions_text(
                good_lines(40, day_step=3), newline="\r\n", date_format="%m/%d/%Y %H:%M"
            ),
            bom=True,
        ),
        Loads(
            40,
            40,
            checks={
                FILES.format(column="has_byte_order_mark"): True,
                FILES.format(column="date_order"): "month_first",
                _date_of("540005"): "2011-03-16 08:26:00",
            },
        ),
    ),
    Case(
        "latin1_bytes_cp1252_lacks",
        "transactions",
        _file(
            "latin1.csv",
            lambda: transactions_text(
                [
                    Line("540000", "85123A", "CAF\u00c9 \x81 \u00a35", "2", START, "2.55", "13047"),
                    *good_lines(39, 1),
                ]
            ).encode("latin-1"),
        ),
        Loads(
            40,
            40,
            checks={
                FILES.format(column="encoding"): "latin-1",
                _description_of("540000"): "CAF\u00c9 \x81 \u00a35",
            },
        ),
    ),
    Case(
        "utf16_unicode_text",
        "transactions",
        _file("unicode.csv", lambda: transactions_text(good_lines(10), delimiter="\t").encode("utf-16")),
        Fails("check", ("{path}", "is UTF-16 text", "CSV UTF-8", "ONLINE_RETAIL_TRANSACTIONS_PATH")),
    ),
    Case(
        "xlsx_named_csv",
        "transactions",
        _file("workbook.csv", lambda: b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200),
        Fails("check", ("{path}", "is an Excel workbook", "Save As")),
    ),
    Case(
        "xls_named_csv",
        "transactions",
        _file("old_workbook.csv", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200),
        Fails("check", ("{path}", "Excel 97-2003 workbook")),
    ),
    Case(
        "quoted_line_breaks_and_delimiters",
        "transactions",
        _text(
            "quoted.csv",
            lambda: transactions_text(
                [
                    Line("540000", "85123A", "HEART,\nWITH A LINE BREAK", "2", START, "2.55", "13047"),
                    *good_lines(39, 1),
                ]
            ),
        ),
        Loads(
            40,
            40,
            checks={
                "select count(*) from staging.stg_online_retail__transactions "
                "where description = 'HEART,' || chr(10) || 'WITH A LINE BREAK'": 1
            },
        ),
    ),
    Case(
        "short_row_and_footer",
        "transactions",
        _text("ragged.csv", lambda: _lines_with([["540100", "85123A"], ["Total 60 lines"]])),
        Loads(62, 60, {"malformed_row": 2}, checks={FILES.format(column="header_fields"): 8}),
    ),
    Case(
        "row_with_more_fields",
        "transactions",
        _text(
            "wide_row.csv",
            lambda: _lines_with(
                [
                    [
                        "540100",
                        "85123A",
                        "HEART",
                        " WHITE",
                        "6",
                        "2011-03-01 08:26:00",
                        "2.55",
                        "13047",
                        "France",
                    ]
                ]
            ),
        ),
        Loads(
            61,
            60,
            {"malformed_row": 1},
            checks={
                "select raw_extra_field from staging.stg_online_retail__rejected_lines where rejection_reason = 'malformed_row'": "France"
            },
        ),
    ),
    Case(
        "unterminated_quote",
        "transactions",
        _text("unclosed.csv", _unterminated_quote),
        Fails("build", ("{path}", "rows have not the header's number of fields")),
    ),
    Case(
        "online_retail_ii_names",
        "transactions",
        _text(
            "online_retail_ii.csv",
            lambda: transactions_text(
                good_lines(40),
                header=[
                    "Invoice",
                    "StockCode",
                    "Description",
                    "Quantity",
                    "InvoiceDate",
                    "Price",
                    "Customer ID",
                    "Country",
                ],
            ),
        ),
        Loads(
            40,
            40,
            checks={
                FILES.format(
                    column="column_mapping"
                ): "InvoiceNo=Invoice; StockCode=StockCode; Description=Description; Quantity=Quantity; InvoiceDate=InvoiceDate; UnitPrice=Price; CustomerID=Customer ID; Country=Country"
            },
        ),
    ),
    Case(
        "case_and_spacing_variants",
        "transactions",
        _text(
            "spaced.csv",
            lambda: transactions_text(
                good_lines(40),
                header=[
                    "invoice no",
                    "STOCK_CODE",
                    "Description",
                    "quantity",
                    "Invoice Date",
                    "unit price",
                    "customer_id",
                    "COUNTRY",
                ],
            ),
        ),
        Loads(40, 40),
    ),
    Case(
        "other_names_mapped_by_setting",
        "transactions",
        _text(
            "mapped.csv",
            lambda: transactions_text(
                good_lines(40), header=["Bill", "Item", "Text", "Units", "When", "Cost", "Client", "Land"]
            ),
        ),
        Loads(40, 40),
        settings={
            "ONLINE_RETAIL_TRANSACTIONS_COLUMNS": json.dumps(
                {
                    "InvoiceNo": "Bill",
                    "StockCode": "Item",
                    "Description": "Text",
                    "Quantity": "Units",
                    "InvoiceDate": "When",
                    "UnitPrice": "Cost",
                    "CustomerID": "Client",
                    "Country": "Land",
                }
            )
        },
    ),
    Case(
        "other_names_without_setting",
        "transactions",
        _text(
            "unmapped.csv",
            lambda: transactions_text(good_lines(10), header=["Bill", *TRANSACTION_HEADER[1:]]),
        ),
        Fails(
            "check",
            (
                "{path}",
                "missing required column(s) InvoiceNo",
                "InvoiceNo: InvoiceNo, Invoice, Invoice Number",
                "ONLINE_RETAIL_TRANSACTIONS_COLUMNS",
            ),
        ),
    ),
    Case(
        "missing_column",
        "transactions",
        _text(
            "no_customer.csv",
            lambda: csv_text(
                TRANSACTION_HEADER[:6] + TRANSACTION_HEADER[7:],
                [line.fields()[:6] + line.fields()[7:] for line in good_lines(10)],
            ),
        ),
        Fails("check", ("{path}", "missing required column(s) CustomerID", "CustomerID, Customer ID")),
    ),
    Case(
        "day_first_dates",
        "transactions",
        _text(
            "day_first.csv",
            lambda: transactions_text(good_lines(40, day_step=3), date_format="%d/%m/%Y %H:%M"),
        ),
        Loads(
            40,
            40,
            checks={
                FILES.format(column="date_order"): "day_first",
                _date_of("540005"): "2011-03-16 08:26:00",
            },
        ),
    ),
    Case(
        "month_first_us_dates_with_am_pm",
        "transactions",
        _text(
            "us.csv", lambda: transactions_text(good_lines(40, day_step=3), date_format="%m/%d/%Y %I:%M %p")
        ),
        Loads(
            40,
            40,
            checks={
                FILES.format(column="date_order"): "month_first",
                _date_of("540005"): "2011-03-16 08:26:00",
            },
        ),
    ),
    Case(
        "day_first_and_month_first_mixed",
        "transactions",
        _text("mixed_dates.csv", _day_first_and_month_first),
        Fails(
            "build",
            ("{path}", "InvoiceDate", "mixes day-first dates", "ONLINE_RETAIL_TRANSACTIONS_DATE_ORDER"),
        ),
    ),
    Case(
        "no_deciding_date",
        "transactions",
        _text("early_days.csv", _early_days_only),
        Fails(
            "build",
            ("{path}", "InvoiceDate", "no date has a day above 12", "ONLINE_RETAIL_TRANSACTIONS_DATE_ORDER"),
        ),
    ),
    Case(
        "no_deciding_date_with_setting",
        "transactions",
        _text("early_days.csv", _early_days_only),
        Loads(
            40,
            40,
            checks={
                FILES.format(column="date_order_decided_by"): "setting",
                _date_of("540001"): "2011-07-02 10:00:00",
            },
        ),
        settings={"ONLINE_RETAIL_TRANSACTIONS_DATE_ORDER": "day_first"},
    ),
    Case(
        "iso_8601_with_t_z_and_offsets",
        "transactions",
        _text("iso.csv", _iso_with_zones),
        Loads(
            40,
            40,
            checks={_date_of("540000"): "2011-03-01 08:26:00", _date_of("549999"): "2011-03-01 08:30:00"},
        ),
    ),
    Case(
        "semicolons_and_decimal_commas",
        "transactions",
        _text("comma.csv", lambda: transactions_text(good_lines(40), delimiter=";", decimal=",")),
        Loads(
            40, 40, checks={FILES.format(column="decimal_separator"): "comma", _price_of("540001"): "2.5500"}
        ),
    ),
    Case(
        "currency_symbols_and_thousands",
        "transactions",
        _text("money.csv", _currency_and_thousands),
        Loads(
            40,
            40,
            checks={
                _price_of("549990"): "1234.5000",
                _price_of("549991"): "2.5500",
                _price_of("549992"): "2.5500",
                "select min(quantity) from staging.stg_online_retail__transactions where invoice_no = '549993'": 1000,
            },
        ),
    ),
    Case(
        "decimal_points_and_commas_mixed",
        "transactions",
        _text("mixed_money.csv", _mixed_decimal_separators),
        Fails(
            "build",
            ("{path}", "UnitPrice", "mix decimal points", "ONLINE_RETAIL_TRANSACTIONS_DECIMAL_SEPARATOR"),
        ),
    ),
    Case(
        "fractional_quantity",
        "transactions",
        _text(
            "fraction.csv",
            lambda: _lines_with(
                [["540100", "85123A", "HEART", "2.5", "2011-03-01 08:26:00", "2.55", "13047", "France"]]
            ),
        ),
        Loads(61, 60, {"fractional_quantity": 1}),
    ),
    Case(
        "magnitudes_that_cannot_be_real",
        "transactions",
        _text(
            "huge.csv",
            lambda: _lines_with(
                [
                    [
                        "540100",
                        "85123A",
                        "HEART",
                        "2147483647",
                        "2011-03-01 08:26:00",
                        "99999.99",
                        "13047",
                        "France",
                    ],
                    ["540101", "85123A", "HEART", "1", "2011-03-01 08:26:00", "250000", "13047", "France"],
                    ["540102", "85123A", "HEART", "1", "2011-03-01 08:26:00", "-2.55", "13047", "France"],
                ]
            ),
        ),
        Loads(
            63,
            60,
            {"implausible_quantity": 1, "implausible_unit_price": 2},
            checks={"select count(*) from marts.online_retail_customers": 5},
        ),
        scope="full",
    ),
    Case(
        "price_column_that_does_not_parse",
        "transactions",
        _text(
            "na_prices.csv",
            lambda: csv_text(
                TRANSACTION_HEADER,
                [
                    [*line.fields()[:5], ("N/A", "n/a", "-")[i % 3], *line.fields()[6:]]
                    for i, line in enumerate(good_lines(40))
                ],
            ),
        ),
        Fails("build", ("{path}", "column UnitPrice", "'-', 'N/A', 'n/a'")),
    ),
    Case(
        "a_few_bad_dates",
        "transactions",
        _text(
            "bad_dates.csv",
            lambda: _lines_with(
                [
                    ["540100", "85123A", "HEART", "1", "the first of March", "2.55", "13047", "France"],
                    ["540101", "85123A", "HEART", "1", "2011-02-30 10:00:00", "2.55", "13047", "France"],
                ]
            ),
        ),
        Loads(62, 60, {"unparseable_invoice_date": 2}),
    ),
    Case(
        "non_product_codes_by_rule",
        "transactions",
        _text("codes.csv", _non_product_codes),
        Loads(
            45,
            45,
            checks={
                "select line_type || ':' || classified_by from intermediate.int_stock_codes_classified where stock_code = '23574'": "fee:description_rule",
                "select line_type || ':' || classified_by from intermediate.int_stock_codes_classified where stock_code = 'TEST1'": "test:description_rule",
                "select line_type || ':' || classified_by from intermediate.int_stock_codes_classified where stock_code = 'ADJ01'": "manual_adjustment:description_rule",
                "select line_type || ':' || classified_by from intermediate.int_stock_codes_classified where stock_code = 'XMASBOX'": "unclassified:code_shape_rule",
                "select line_type from intermediate.int_stock_codes_classified where stock_code = '85168B'": "product",
                "select string_agg(report_item, ',' order by report_item) from marts.online_retail_data_quality where report_section = 'stock_codes' and report_order = 510": "23574,ADJ01,TEST1,XMASBOX",
                _summary(
                    "stock_codes"
                ): "stock codes: 6 products, 0 by the seed, 3 by description rules, 1 non-product by shape alone (unclassified)",
            },
        ),
    ),
    Case(
        "returns_credits_and_free_lines",
        "transactions",
        _text("returns.csv", _returns_credits_free),
        Loads(
            51,
            51,
            checks={
                "select frequency || ':' || fully_returned_invoices || ':' || average_basket_value_gbp from marts.online_retail_customers where customer_id = '12346'": "1:1:15.3000",
                "select manual_adjustments_gbp || ':' || monetary_gbp from marts.online_retail_customers where customer_id = '20004'": "-38970.00:649.50",
                "select string_agg(customer_id || '=' || exclusion_reason, ',' order by customer_id) from marts.online_retail_customers_left_out": "20001=only_free_or_returned_purchases,20002=only_returns,20003=only_non_product_lines,20005=only_free_or_returned_purchases",
                _summary(
                    "customers"
                ): "customers: 11 with clean lines = 7 in online_retail_customers + 4 left out (only_free_or_returned_purchases 2, only_non_product_lines 1, only_returns 1)",
            },
        ),
        scope="marts",
    ),
    Case(
        "pandas_index_column",
        "transactions",
        _text(
            "pandas.csv",
            lambda: csv_text(
                ("", *TRANSACTION_HEADER), [[str(i), *line.fields()] for i, line in enumerate(good_lines(40))]
            ),
        ),
        Loads(40, 40, checks={FILES.format(column="ignored_columns"): "(unnamed column 1)"}),
    ),
    Case(
        "report_title_above_the_header",
        "transactions",
        _text(
            "report.csv",
            lambda: (
                "Sales report;;;;;;;\r\nsep=;\r\n"
                + transactions_text(good_lines(40), delimiter=";", newline="\r\n")
            ),
        ),
        Loads(40, 40, checks={FILES.format(column="lines_before_header"): 2}),
    ),
    Case(
        "path_with_braces_quotes_spaces_semicolons",
        "transactions",
        _with_decoys(
            "tx_{name} it's; a file.csv",
            lambda: transactions_text(good_lines(40)),
            ["tx_transactions.csv", "tx_.csv"],
        ),
        Loads(40, 40),
    ),
    Case(
        "path_with_positional_braces",
        "transactions",
        _with_decoys("tx_{2011}.csv", lambda: transactions_text(good_lines(40)), ["tx_2011.csv"]),
        Loads(40, 40),
    ),
    Case(
        "path_with_glob_characters",
        "transactions",
        _with_decoys("tx_[1]?.csv", lambda: transactions_text(good_lines(40)), ["tx_1a.csv", "tx_[1]a.csv"]),
        Loads(40, 40),
    ),
    Case(
        "empty_file",
        "transactions",
        _file("empty.csv", lambda: b""),
        Fails("check", ("{path}", "is empty (0 bytes)")),
    ),
    Case(
        "header_only",
        "transactions",
        _text("header.csv", lambda: ",".join(TRANSACTION_HEADER) + "\n"),
        Fails("check", ("{path}", "has a header but no data rows")),
    ),
    Case(
        "truncated_gzip",
        "transactions",
        _file("cut.csv.gz", lambda: gzip.compress(transactions_text(good_lines(40)).encode())[:60]),
        Fails("check", ("{path}", "damaged gzip")),
    ),
    Case(
        "gzipped_cp1252",
        "transactions",
        _file("excel.csv.gz", lambda: gzip.compress(excel_cp1252().encode("cp1252"), mtime=0)),
        Loads(
            40,
            40,
            checks={FILES.format(column="file_format"): "csv.gz", FILES.format(column="encoding"): "cp1252"},
        ),
    ),
    Case(
        "parquet_with_online_retail_ii_names",
        "transactions",
        lambda folder: _parquet(folder / "tx.parquet"),
        Loads(40, 40, checks={FILES.format(column="file_format"): "parquet"}),
    ),
    Case(
        "customers_as_published_tab_separated",
        "customers",
        _text("marketing_campaign.csv", lambda: _kaggle_published("%d-%m-%Y")),
        Loads(
            40,
            40,
            checks={
                CUSTOMER_FILES.format(column="delimiter"): "\t",
                CUSTOMER_FILES.format(
                    column="ignored_columns"
                ): "AcceptedCmp3; AcceptedCmp4; AcceptedCmp5; AcceptedCmp1; AcceptedCmp2; Z_CostContact; Z_Revenue",
                "select count(*) from marts.smartcart_customers": 40,
            },
        ),
    ),
    Case(
        "customers_with_iso_dates",
        "customers",
        _text("marketing_campaign_iso.csv", lambda: _kaggle_published("%Y-%m-%d")),
        Loads(
            40,
            40,
            checks={
                CUSTOMER_FILES.format(column="date_order"): "year_first",
                "select cast(enrolled_date as varchar) from staging.stg_smartcart__customers where customer_id = 5001": "2013-01-10",
            },
        ),
    ),
    Case(
        "customers_with_dollar_incomes_and_us_dates",
        "customers",
        _text("marketing_data.csv", _marketing_data),
        Loads(
            40,
            40,
            checks={
                CUSTOMER_FILES.format(column="date_order"): "month_first",
                "select cast(income as integer) from staging.stg_smartcart__customers where customer_id = 5002": 31462,
                "select cast(enrolled_date as varchar) from staging.stg_smartcart__customers where customer_id = 5002": "2013-01-19",
            },
        ),
    ),
    Case(
        "customer_values_that_cannot_be_real",
        "customers",
        _text("impossible.csv", _customers_that_cannot_be_real),
        Loads(
            60, 57, {"implausible_value": 3}, checks={"select count(*) from marts.smartcart_customers": 57}
        ),
        scope="full",
    ),
    Case(
        "customers_missing_a_column",
        "customers",
        _text(
            "no_teens.csv",
            lambda: csv_text(
                CUSTOMER_HEADER[:6] + CUSTOMER_HEADER[7:], [row[:6] + row[7:] for row in good_customers(10)]
            ),
        ),
        Fails("check", ("{path}", "missing required column(s) Teenhome", "SMARTCART_CUSTOMERS_PATH")),
    ),
)
