"""The campaign lists and the described Parquet files as a campaign team and a data reader
meet them after a publish: one CSV and one Parquet file per segment with the README's columns,
every customer exactly once, sorted, identical on a second publish, descriptions inside."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import PROJECT_ROOT, copy_of

from custseg.tools.campaigns import slug
from custseg.tools.parquet import read_descriptions
from custseg.tools.publish import PublishSettings, publish

README = PROJECT_ROOT / "README.md"


@pytest.fixture(scope="module")
def lists(tmp_path_factory, sample_build):
    """A copy of the shared sample build, published twice into two folders."""
    workdir = tmp_path_factory.mktemp("campaigns")
    build = copy_of(sample_build, workdir)
    results = []
    for run in ("first", "second"):
        settings = PublishSettings(
            build,
            workdir / run / "serving.duckdb",
            workdir / run / "parquet",
            campaign_dir=workdir / run / "lists",
        )
        results.append(publish(settings))
    return build, results


def readme_columns() -> list[str]:
    """The campaign list columns the README's "Campaign lists" section names, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Campaign lists", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_one_list_per_segment_with_every_customer_once(lists):
    build, (result, _) = lists
    with duckdb.connect(str(build), read_only=True) as connection:
        segments = connection.execute(
            "select source, segment_id, segment_name, customers, suggested_action from marts.segment_profiles"
            " order by source, segment_id"
        ).fetchall()
        members = set(
            connection.execute("select source, customer_id from marts.customer_segments").fetchall()
        )
    folder = result.campaign_dir
    index = [r for r in rows_of(folder / "index.csv") if r["list"] == "segment"]
    assert [(r["source"], int(r["segment_id"])) for r in index] == [(s, i) for s, i, *_ in segments]
    seen = set()
    for (source, segment_id, name, customers, action), entry in zip(segments, index, strict=True):
        assert entry["csv"] == f"{source}/segment_{segment_id}_{slug(name)}.csv"
        assert int(entry["customers"]) == customers and entry["suggested_action"] == action
        rows = rows_of(folder / entry["csv"])
        assert len(rows) == customers
        assert {(r["segment_id"], r["segment_name"], r["suggested_action"]) for r in rows} == {
            (str(segment_id), name, action)
        }
        ids = [r["customer_id"] for r in rows]
        assert ids == sorted(ids), "not sorted by customer id"
        seen.update((source, customer_id) for customer_id in ids)
        parquet = pq.read_table(folder / entry["parquet"])
        assert parquet.column("customer_id").to_pylist() == ids
    assert seen == members


def test_one_list_per_churn_risk_band_with_the_band_action(lists):
    build, (result, _) = lists
    with duckdb.connect(str(build), read_only=True) as connection:
        bands = connection.execute(
            "select value.source, value.churn_risk, count(*), min(actions.suggested_action)"
            " from marts.customer_value as value"
            " inner join seeds.churn_risk_actions as actions on value.churn_risk = actions.churn_risk"
            " group by all order by 1, 2"
        ).fetchall()
    index = [r for r in rows_of(result.campaign_dir / "index.csv") if r["list"] == "churn_risk"]
    assert len(bands) >= 4 and len(index) == len(bands)
    for (source, band, customers, action), entry in zip(bands, index, strict=True):
        assert (entry["source"], entry["csv"]) == (source, f"{source}/churn_risk_{band}.csv")
        assert int(entry["customers"]) == customers and entry["suggested_action"] == action
        assert entry["segment_id"] == "" and entry["segment_name"] == ""
        rows = rows_of(result.campaign_dir / entry["csv"])
        assert len(rows) == customers
        assert {(r["churn_risk"], r["churn_risk_action"]) for r in rows} == {(band, action)}


def test_lists_have_the_columns_the_readme_names(lists):
    _, (result, _) = lists
    columns = readme_columns()
    assert "customer_id" in columns and "suggested_action" in columns, columns
    for csv_file in sorted(result.campaign_dir.glob("*/*.csv")):
        with csv_file.open(newline="", encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == columns, csv_file
        assert pq.read_schema(csv_file.with_suffix(".parquet")).names == columns


def test_retail_figures_match_the_customer_mart(lists):
    build, (result, _) = lists
    with duckdb.connect(str(build), read_only=True) as connection:
        expected = {
            customer_id: (country, recency, frequency, f"{monetary:.2f}")
            for customer_id, country, recency, frequency, monetary in connection.execute(
                "select customer_id, country, recency_days, frequency, monetary_gbp"
                " from marts.online_retail_customers"
            ).fetchall()
        }
    got = {}
    for csv_file in result.campaign_dir.glob("online_retail/*.csv"):
        for row in rows_of(csv_file):
            assert row["currency"] == "GBP"
            got[row["customer_id"]] = (
                row["country"],
                int(row["days_since_last_purchase"]),
                int(row["orders"]),
                row["revenue"],
            )
    assert got == expected


def test_a_second_publish_writes_identical_files(lists):
    _, (first, second) = lists

    def digest(folder: Path) -> dict[str, str]:
        return {
            str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }

    assert digest(first.campaign_dir) == digest(second.campaign_dir)
    assert len(digest(first.campaign_dir)) == 2 * len(first.campaign_lists) + 1


def test_parquet_files_carry_the_descriptions(lists):
    build, (result, _) = lists
    with duckdb.connect(str(build), read_only=True) as connection:
        comments = dict(
            connection.execute(
                "select column_name, comment from duckdb_columns() where schema_name = 'marts'"
                " and table_name = 'segment_profiles'"
            ).fetchall()
        )
        table_comment = connection.execute(
            "select comment from duckdb_tables()"
            " where schema_name = 'marts' and table_name = 'segment_profiles'"
        ).fetchone()[0]
    table, columns = read_descriptions(result.parquet_dir / "segment_profiles.parquet")
    assert table == table_comment and table.startswith("One row per segment")
    assert columns == {name: comment for name, comment in comments.items() if comment}
    assert columns["customer_share"].startswith("Share of the source's customers")
    # Every column of every list is described too.
    for parquet in sorted(result.campaign_dir.glob("*/*.parquet")):
        _, described = read_descriptions(parquet)
        assert set(described) == set(pq.read_schema(parquet).names), parquet
