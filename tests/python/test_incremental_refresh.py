"""Incremental refresh (issue #13): a refresh after new export files arrive gives the same
warehouse as a full refresh (`dbt build --full-refresh`) on the same files, table for table and
row for row, also when the input folder gains a copy of a file already read (read once) and a
file already read changes (its old rows go, its new rows are read)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import invoke_dbt

from custseg.sampledata import split_transactions, write_transactions

# Schemas dbt builds (generate_schema_name): every table and view in them is compared.
COMPARED_SCHEMAS = ("staging", "intermediate", "marts", "segmentation", "semantic", "seeds")
NO_TESTS = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
# A small input: fewer lines per item than the default item-pattern threshold asks for.
VARS = ("--vars", "{item_pattern_min_lines: 20}")
KEEP = ("--vars", "{item_pattern_min_lines: 20, segment_refit_drift_threshold: 10}")


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


def test_an_incremental_refresh_equals_a_full_refresh(tmp_path: Path, monthly_exports: Path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    months = sorted(monthly_exports.iterdir())
    first, later = months[:-2], months[-2:]
    for file in first:
        shutil.copy(file, inputs / file.name)
    env = {"ONLINE_RETAIL_TRANSACTIONS_PATH": str(inputs)}

    initial = invoke_dbt("build", *NO_TESTS, *VARS, workdir=tmp_path / "incremental", env=env)
    assert initial.returncode == 0, initial.output[-3000:]
    twin = tmp_path / "full" / "warehouse.duckdb"
    twin.parent.mkdir()
    shutil.copy(initial.warehouse, twin)  # the same history (previous fit, snapshots) on both sides

    # New months arrive, one file is delivered twice under another name, one file already read changes.
    for file in later:
        shutil.copy(file, inputs / file.name)
    shutil.copy(inputs / first[1].name, inputs / ("copy_of_" + first[1].name))
    _rewrite_without_last_line(inputs / first[2].name)

    # The default refresh: the fit is kept (the threshold is set high so that it is) and SQL
    # re-scores every customer; the full refresh decides the same way on the same data.
    refreshed = invoke_dbt("build", *KEEP, workdir=tmp_path / "incremental", env=env)
    assert refreshed.returncode == 0, refreshed.output[-3000:]
    full = invoke_dbt("build", "--full-refresh", *KEEP, *NO_TESTS, workdir=tmp_path / "full", env=env)
    assert full.returncode == 0, full.output[-3000:]
    assert "online_retail: model " in refreshed.output and ", kept: drift " in refreshed.output
    versions = "select source, model_version from segmentation.fit_segmentation order by 1"
    assert refreshed.query(versions) == initial.query(versions)

    assert _differences(refreshed.warehouse, full.warehouse) == []
    # The copy is read once, and named; every raw line of the distinct files is accounted for.
    files = refreshed.query(
        "select count(*), count(duplicate_paths), sum(raw_rows) from staging.base_online_retail__file_formats"
    )[0]
    distinct_lines = sum(_data_lines(inputs / file.name) for file in months)
    assert files == (len(months), 1, distinct_lines)
