"""Incremental refresh (issue #13): a refresh after new export files arrive gives the same
warehouse as a full refresh (`dbt build --full-refresh`) on the same files, table for table and
row for row, also when a file already read is renamed or copied (read once) or changes (its old
rows go, its new rows are read)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE_DIR, copy_of, invoke_dbt

from custseg.sampledata import split_transactions, write_transactions

# Schemas dbt builds (generate_schema_name): every table and view in them is compared.
COMPARED_SCHEMAS = ("staging", "intermediate", "marts", "segmentation", "semantic", "seeds")
NO_TESTS = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
KEEP = ("--vars", "{segment_refit_drift_threshold: 1000}")


def _relations(path: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema in {COMPARED_SCHEMAS} order by 1, 2"
        ).fetchall()


def _differences(left: Path, right: Path) -> list[str]:
    """Relations that differ between two warehouse files: missing, or rows in one not in the other
    (counted with multiplicity, `except all`)."""
    problems = []
    left_relations, right_relations = _relations(left), _relations(right)
    if left_relations != right_relations:
        problems.append(f"relations differ: {sorted(set(left_relations) ^ set(right_relations))}")
    connection = duckdb.connect()
    connection.execute(f"attach '{left}' as l (read_only)")
    connection.execute(f"attach '{right}' as r (read_only)")
    for schema, table in sorted(set(left_relations) & set(right_relations)):
        for a, b in (("l", "r"), ("r", "l")):
            extra = connection.execute(
                f'select count(*) from (select * from {a}."{schema}"."{table}"'
                f' except all select * from {b}."{schema}"."{table}")'
            ).fetchone()[0]
            if extra:
                problems.append(f"{schema}.{table}: {extra} row(s) only in the {a} warehouse")
    connection.close()
    return problems


def _data_lines(path: Path) -> int:
    with gzip.open(path, "rt", newline="") as handle:
        return sum(1 for _ in handle) - 1


def _rewrite_without_last_line(path: Path) -> None:
    with gzip.open(path, "rt", newline="") as handle:
        lines = handle.readlines()
    with gzip.open(path, "wt", newline="") as handle:
        handle.writelines(lines[:-1])


@pytest.fixture(scope="module")
def monthly_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("exports")
    write_transactions(folder / "all.csv.gz", 20_000, seed=7)
    split_transactions(folder / "all.csv.gz", folder / "months", period="month")
    return folder / "months"


def test_an_incremental_refresh_equals_a_full_refresh(tmp_path: Path, sample_build, monthly_exports: Path):
    """From the shared sample build (one file, read and fitted), the input becomes a folder: the
    sample file under another name (same bytes: not read again, its path updated), a copy of it
    (read once), a changed version of it (read as a new file), and new monthly files. The
    refresh (the default path, fit kept) and a --full-refresh of a copy of the same warehouse
    must hold the same tables."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    sample = SAMPLE_DIR / "online_retail_transactions.csv.gz"
    shutil.copy(sample, inputs / "a_sample.csv.gz")
    shutil.copy(sample, inputs / "b_copy_of_sample.csv.gz")
    shutil.copy(sample, inputs / "c_changed_sample.csv.gz")
    _rewrite_without_last_line(inputs / "c_changed_sample.csv.gz")
    months = sorted(monthly_exports.iterdir())[-3:]
    for file in months:
        shutil.copy(file, inputs / file.name)
    env = {"ONLINE_RETAIL_TRANSACTIONS_PATH": str(inputs)}
    incremental = copy_of(sample_build, tmp_path / "incremental")
    full = copy_of(sample_build, tmp_path / "full")

    # The default refresh: the fit is kept (the threshold is set high so that it is) and SQL
    # re-scores every customer; the full refresh decides the same way on the same data.
    refreshed = invoke_dbt("build", *KEEP, workdir=tmp_path / "incremental", env=env, warehouse=incremental)
    assert refreshed.returncode == 0, refreshed.output[-3000:]
    rebuilt = invoke_dbt(
        "build", "--full-refresh", *KEEP, *NO_TESTS, workdir=tmp_path / "full", env=env, warehouse=full
    )
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]

    assert _differences(refreshed.warehouse, rebuilt.warehouse) == []
    assert "online_retail: model " in refreshed.output and ", kept: drift " in refreshed.output
    versions = "select source, model_version from segmentation.fit_segmentation order by 1"
    assert refreshed.query(versions) == sample_build.query(versions)
    # The copy is read once, and named; every raw line of the distinct files is accounted for.
    files = refreshed.query(
        "select count(*), max(duplicate_paths), sum(raw_rows) from staging.base_online_retail__file_formats"
    )[0]
    distinct = ["a_sample.csv.gz", "c_changed_sample.csv.gz", *(file.name for file in months)]
    lines = sum(_data_lines(inputs / name) for name in distinct)
    assert files == (len(distinct), str(inputs / "b_copy_of_sample.csv.gz"), lines)
