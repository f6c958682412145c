"""The project on Spark (issue #14): the bundled international sample built on Spark local with
./scripts/spark.sh's code (one process: dbt, the fit, dbt) and every mart compared, row for row,
with the DuckDB build of the same files (custseg.integration.compare_engines states the
tolerance). Needs Java and the packages of requirements-spark.txt (scripts/test.sh installs them
when Java is there); otherwise the Spark build is skipped, saying why.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, SAMPLE_DIR, DbtRun

from custseg.inputs import plan_request
from custseg.integration import compare_engines
from custseg.integration.spark import register_input

needs_spark = pytest.mark.skipif(
    shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
    reason="no Java runtime (java not on PATH, JAVA_HOME unset): the Spark build is skipped",
)
needs_pyspark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None,
    reason="requirements-spark.txt is not installed (./scripts/setup.sh --spark)",
)


@pytest.fixture(scope="session")
def spark_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The bundled sample built on Spark: (Spark's warehouse folder, dbt's target folder, output)."""
    work = tmp_path_factory.mktemp("spark_build")
    env = {
        **os.environ,
        "CUSTSEG_SPARK_DIR": str(work / "spark"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "custseg.integration.spark"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    return work / "spark" / "warehouse", work / "target", output


@needs_spark
@needs_pyspark
def test_every_mart_is_the_same_on_spark_and_duckdb(spark_build, sample_build: DbtRun) -> None:
    warehouse, target, output = spark_build
    manifest = json.loads((target / "manifest.json").read_text())
    results = compare_engines.compare_engines(sample_build.warehouse, warehouse, manifest)
    # Every contracted mart of the segmentation and the customer marts is built and compared.
    names = {result.name for result in results}
    assert {
        "customer_segments",
        "segment_profiles",
        "online_retail_customers",
        "smartcart_customers",
    } <= names
    assert len(results) >= 25
    assert sum(result.duckdb_rows for result in results) > 10_000
    differing = [f"{r.name}: {'; '.join(r.differences)}" for r in results if not r.agrees]
    assert not differing, "\n".join(differing)
    # The input hook ran on Spark (the same plan as on DuckDB) and the fit ran in between.
    assert "input online_retail.transactions: " in output
    assert "spark: fit of online_retail, smartcart" in output


def test_comparison_fails_on_a_changed_value_and_allows_float_noise() -> None:
    import pandas as pd

    duck = pd.DataFrame({"customer_id": ["a", "b"], "segment": [1, 2], "share": [0.1, 0.2]})
    noisy = duck.iloc[::-1].copy()
    noisy["share"] = noisy["share"] * (1 + 1e-12)
    assert compare_engines.compare_frames("m", duck, noisy).agrees
    changed = noisy.copy()
    changed.loc[changed["customer_id"] == "b", "segment"] = 3
    assert not compare_engines.compare_frames("m", duck, changed).agrees
    shifted = noisy.copy()
    shifted["share"] = shifted["share"] + 1e-6
    assert not compare_engines.compare_frames("m", duck, shifted).agrees
    assert not compare_engines.compare_frames("m", duck, duck.iloc[:1]).agrees


def _request(tmp_path: Path, kind: str = "smartcart_customers") -> str:
    return json.dumps(
        {
            "kind": kind,
            "default_path": str(tmp_path / "missing.csv"),
            "view": "smartcart.customers",
            "files_table": "smartcart.customers_files",
        }
    )


def test_spark_hook_names_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTSEG_SPARK_DIR", str(tmp_path / "spark"))
    monkeypatch.delenv("SMARTCART_CUSTOMERS_PATH", raising=False)
    answer = json.loads(register_input(_request(tmp_path)))
    assert answer["setting"] == "SMARTCART_CUSTOMERS_PATH"
    assert "missing.csv' does not exist" in answer["problem"]


def test_spark_hook_names_a_missing_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = (SAMPLE_DIR / "smartcart_customers.csv").read_text().splitlines()
    header = lines[0].split(",")
    without_income = [
        ",".join(f for i, f in enumerate(line.split(",")) if i != header.index("Income")) for line in lines
    ]
    broken = tmp_path / "customers.csv"
    broken.write_text("\n".join(without_income) + "\n")
    monkeypatch.setenv("CUSTSEG_SPARK_DIR", str(tmp_path / "spark"))
    monkeypatch.setenv("SMARTCART_CUSTOMERS_PATH", str(broken))
    answer = json.loads(register_input(_request(tmp_path)))
    assert "missing required column(s) Income" in answer["problem"]


def test_spark_hook_stages_the_file_as_duckdb_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    monkeypatch.setenv("CUSTSEG_SPARK_DIR", str(tmp_path / "spark"))
    monkeypatch.delenv("SMARTCART_CUSTOMERS_PATH", raising=False)
    request = json.loads(_request(tmp_path))
    request["default_path"] = str(SAMPLE_DIR / "smartcart_customers.csv")
    answer = json.loads(register_input(json.dumps(request)))
    assert answer["statements"][1].startswith("create table smartcart.customers using parquet location '")
    location = answer["statements"][1].split("location '")[1].rstrip("'")
    # what the DuckDB hook reads for the same request (file ids included)
    plan = plan_request(request, tmp_path / "duckdb")
    staged = f"select * from '{location}/*.parquet'"
    differing = duckdb.sql(
        f"select count(*) from (({staged}) except all ({plan.select_sql()})"
        f" union all (({plan.select_sql()}) except all ({staged})))"
    ).fetchall()[0][0]
    assert duckdb.sql(f"select count(*) from ({staged})").fetchall()[0][0] == 607
    assert differing == 0
