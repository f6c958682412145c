"""Build the project on every case of the input corpus, in one Python process; write the outcomes.

Run by test_input_corpus.py (``python tests/python/corpus_driver.py <workdir> [case ...]``). dbt
parses the project once and each case is a ``dbt build`` of the two sources' data-quality reports
and everything they rest on (staging, intermediate and customer marts, with their data tests; not
the segmentation, not the unit tests) through dbt's Python API on that manifest: a few seconds a
case instead of a fresh dbt process each. Inputs are read from the environment at run time (the
register_raw_inputs hook), so the one manifest serves every file. Writes
``<workdir>/results.json``: per case whether the build passed, its log messages, and the
warehouse's counts and check values.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner
from input_corpus import (
    CASES,
    CUSTOMER_HEADER,
    Case,
    Loads,
    csv_text,
    good_customers,
    good_lines,
    transactions_text,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SETTINGS = [
    f"{prefix}_{suffix}"
    for prefix in ("ONLINE_RETAIL_TRANSACTIONS", "SMARTCART_CUSTOMERS")
    for suffix in ("PATH", "ENCODING", "COLUMNS", "DATE_ORDER", "DECIMAL_SEPARATOR")
]
#: Everything the customer marts and the data-quality reports rest on, with every data test.
FULL_BUILD = [
    "build",
    "--select",
    "+online_retail_data_quality",
    "+smartcart_data_quality",
    "+online_retail_customers",
    "+online_retail_customers_left_out",
    "+online_retail_customer_category_mix",
    "+online_retail_customer_item_purchases",
    "+online_retail_products",
    "--indirect-selection",
    "cautious",
    "--exclude-resource-type",
    "unit_test",
]
#: The case's source up to its data-quality report, with the tests that its rows (and SmartCart's
#: customers) are accounted for; the other data tests run in the cases marked full, and in every
#: build of the project.
QUICK_BUILD = {
    "transactions": [
        "build",
        "--select",
        "+online_retail_data_quality",
        "test_name:file_rows_accounted_for",
        "--indirect-selection",
        "empty",
        "--exclude-resource-type",
        "unit_test",
    ],
    "customers": [
        "build",
        "--select",
        "+smartcart_data_quality",
        "source:smartcart,test_name:rows_accounted_for",
        "smartcart_customers,test_name:same_row_count",
        "--indirect-selection",
        "empty",
        "--exclude-resource-type",
        "unit_test",
    ],
}
#: The retailer's customer marts too, with the test that customers are accounted for.
MARTS_BUILD = [
    "build",
    "--select",
    "+online_retail_data_quality",
    "+online_retail_customers",
    "+online_retail_customers_left_out",
    "test_name:file_rows_accounted_for",
    "test_name:ids_accounted_for",
    "--indirect-selection",
    "empty",
    "--exclude-resource-type",
    "unit_test",
]
REPORT = {"transactions": "marts.online_retail_data_quality", "customers": "marts.smartcart_data_quality"}
REJECTED = {
    "transactions": "staging.stg_online_retail__rejected_lines",
    "customers": "staging.stg_smartcart__rejected_customers",
}


def main(workdir: Path, names: list[str]) -> None:
    os.chdir(PROJECT_ROOT)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    for name in SETTINGS:
        os.environ.pop(name, None)
    baseline = workdir / "baseline"
    baseline.mkdir(parents=True, exist_ok=True)
    other = {
        "transactions": ("SMARTCART_CUSTOMERS_PATH", baseline / "customers.csv"),
        "customers": ("ONLINE_RETAIL_TRANSACTIONS_PATH", baseline / "transactions.csv"),
    }
    (baseline / "customers.csv").write_text(csv_text(CUSTOMER_HEADER, good_customers(40)), encoding="utf-8")
    (baseline / "transactions.csv").write_text(transactions_text(good_lines(40)), encoding="utf-8")
    target, logs = workdir / "target", workdir / "logs"
    common = ["--target-path", str(target), "--log-path", str(logs)]
    _use_warehouse(workdir / "runs" / "parse")
    parsed = dbtRunner().invoke(["parse", *common])
    if not parsed.success:
        raise SystemExit(f"dbt parse failed: {parsed.exception}")
    manifest = parsed.result
    results = {}
    for case in CASES:
        if names and case.name not in names:
            continue
        results[case.name] = _run_case(case, workdir, manifest, common, other)
    (workdir / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")


def _use_warehouse(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["CUSTSEG_DUCKDB_PATH"] = str(folder / "build.duckdb")  # the manifest's database: build
    os.environ["CUSTSEG_DUCKDB_TEMP_DIR"] = str(folder / "tmp")
    return folder / "build.duckdb"


def _run_case(case: Case, workdir: Path, manifest, common: list[str], other) -> dict:
    folder = workdir / "cases" / case.name
    folder.mkdir(parents=True, exist_ok=True)
    path = case.write(folder)
    for name in SETTINGS:
        os.environ.pop(name, None)
    os.environ[case.path_setting] = str(path)
    other_setting, other_path = other[case.source]
    os.environ[other_setting] = str(other_path)
    os.environ.update(case.settings)
    warehouse = _use_warehouse(workdir / "runs" / case.name)
    messages: list[str] = []

    def collect(event) -> None:
        message = getattr(event.info, "msg", "")
        if message and event.info.level in ("info", "warn", "error"):
            messages.append(message)

    started = time.monotonic()
    commands = [{"full": FULL_BUILD, "marts": MARTS_BUILD}.get(case.scope, QUICK_BUILD[case.source])]
    passed = True
    for command in commands:
        try:
            outcome = dbtRunner(manifest=manifest, callbacks=[collect]).invoke([*command, *common])
            passed = bool(outcome.success)
            if outcome.exception is not None:
                messages.append(str(outcome.exception))
        except Exception:  # a crash is an outcome too: the test says which case
            passed = False
            messages.append(traceback.format_exc())
        if not passed:
            break
    _release_warehouse()
    result = {
        "path": str(path),
        "passed": passed,
        "output": "\n".join(messages),
        "seconds": round(time.monotonic() - started, 1),
    }
    if passed and isinstance(case.outcome, Loads):
        result.update(_measure(case, warehouse))
    return result


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process, so that it can be read here."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _measure(case: Case, warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as connection:

        def scalar(sql: str):
            rows = connection.sql(sql).fetchall()
            return rows[0][0] if rows else None

        report = REPORT[case.source]
        counts = dict(
            connection.sql(
                f"select report_item, item_count from {report} where report_section = 'rows'"
            ).fetchall()
        )
        rejected = dict(
            connection.sql(
                f"select rejection_reason, count(*) from {REJECTED[case.source]} group by 1"
            ).fetchall()
        )
        checks = {}
        for sql in case.outcome.checks:
            try:
                checks[sql] = scalar(sql)
            except duckdb.Error as error:
                checks[sql] = f"<error: {error}>"
        return {"counts": counts, "rejected": rejected, "checks": checks}


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
