"""The segmentation as a dbt user meets it: rebuilding gives identical tables, ids survive a
refresh, and the SQL scoring macro agrees with the Python fit."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from conftest import DbtRun, invoke_dbt

SEGMENT_TABLES = {
    "marts.customer_segments": "source, customer_id",
    "marts.segment_profiles": "source, segment_id",
    "marts.segment_centroids": "source, segment_id, feature",
    "marts.segment_model_selection": "source, k",
    "marts.segment_feature_profiles": "source, segment_id, feature",
}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[DbtRun, list[dict[str, list[tuple]]]]:
    workdir = tmp_path_factory.mktemp("rebuild")
    snapshots = []
    for _ in range(2):
        run = invoke_dbt("build", workdir=workdir)
        assert run.returncode == 0, run.output[-5000:]
        snapshots.append(
            {
                table: run.query(f"select * from {table} order by {key}")
                for table, key in SEGMENT_TABLES.items()
            }
        )
    return run, snapshots


def test_two_consecutive_builds_give_identical_segment_tables(two_builds):
    _, (first, second) = two_builds
    for table in SEGMENT_TABLES:
        assert first[table], f"{table} is empty"
        assert first[table] == second[table], f"{table} changed between two builds of the same data"


def test_rebuild_keeps_every_segment_id(two_builds):
    run, _ = two_builds
    decisions = run.query("select distinct decision from marts.segment_id_matching")
    assert decisions == [("kept",)]


def test_every_customer_has_a_named_segment(two_builds):
    run, _ = two_builds
    assert run.scalar("select count(*) from marts.customer_segments where segment_name is null") == 0
    features = run.scalar(
        "select (select count(*) from marts.customer_features_smartcart)"
        " + (select count(*) from marts.customer_features_online_retail)"
    )
    assert run.scalar("select count(*) from marts.customer_segments") == features


def test_one_chosen_k_per_source(two_builds):
    run, _ = two_builds
    chosen = run.query(
        "select source, count(*) from marts.segment_model_selection where is_chosen group by 1 order by 1"
    )
    assert chosen == [("online_retail", 1), ("smartcart", 1)]


def test_sql_scoring_test_fails_when_a_segment_is_changed(two_builds, tmp_path):
    """The agreement test can fail: move one customer to another segment and it does."""
    run, _ = two_builds
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(run.warehouse, tampered)
    with duckdb.connect(str(tampered)) as connection:
        connection.execute(
            "update segmentation.fit_customer_segments set segment_id = segment_id % 3 + 1 "
            "where customer_id = (select min(customer_id) from segmentation.fit_customer_segments)"
        )
        connection.execute(
            "create or replace table marts.customer_segments as select * from marts.customer_segments"
        )
        connection.execute(
            "update marts.customer_segments set segment_id = segment_id % 3 + 1 "
            "where customer_id = (select min(customer_id) from marts.customer_segments)"
        )
    result = invoke_dbt(
        "test",
        "--select",
        "assert_sql_scoring_agrees_with_python",
        workdir=tmp_path,
        warehouse=tampered,
    )
    assert result.returncode != 0
    assert "FAIL" in result.output
