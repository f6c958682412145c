"""The MetricFlow semantic layer (models/semantic) as a user meets it: `mf query` on a built
warehouse gives the same numbers as plain SQL written directly on the marts.

`mf` has no --target-path: it reads <project dir>/target/semantic_manifest.json, with the
project dir (and profiles dir) taken from DBT_PROJECT_DIR / DBT_PROFILES_DIR or the working
directory. So that the repository's own target/ and warehouse/ are never touched, the test
builds into a temporary target path and warehouse, then runs `mf` in a temporary project
dir holding copies of dbt_project.yml and profiles.yml and that build's semantic manifest;
CUSTSEG_DUCKDB_PATH points the profile at the same warehouse file (its file name must be
the one the manifest was parsed with: dbt-duckdb names the database after it).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, DbtRun

# Customers of both sources with their segment, revenue in each source's own currency,
# and the retailer's basket inputs, straight from the marts (not from models/semantic).
REFERENCE_CUSTOMERS = """
    select
        segments.source,
        segments.segment_name,
        retail.country,
        coalesce(retail.rfm_segment, smartcart.rfm_segment) as rfm_segment,
        retail.monetary_gbp,
        retail.total_sales_gbp,
        retail.frequency,
        smartcart.total_spend,
        coalesce(retail.monetary_gbp, smartcart.total_spend) as source_revenue
    from marts.customer_segments as segments
    left join marts.online_retail_customers as retail
        on segments.source = 'online_retail' and segments.customer_id = retail.customer_id
    left join marts.smartcart_customers as smartcart
        on segments.source = 'smartcart' and segments.customer_id = cast(smartcart.customer_id as varchar)
"""


def mf_executable() -> str:
    found = Path(sys.executable).with_name("mf")
    return str(found) if found.exists() else (shutil.which("mf") or "mf")


class MetricFlow:
    """Runs `mf query` against one build's warehouse and semantic manifest."""

    def __init__(self, run: DbtRun, target_path: Path, project_dir: Path) -> None:
        self.run = run
        self.project_dir = project_dir
        (project_dir / "target").mkdir(parents=True)
        for name in ("dbt_project.yml", "profiles.yml"):
            shutil.copy(PROJECT_ROOT / name, project_dir / name)
        shutil.copy(target_path / "semantic_manifest.json", project_dir / "target")

    def query(self, *args: str, warehouse: Path | None = None) -> list[dict[str, str]]:
        out = self.project_dir / "query.csv"
        out.unlink(missing_ok=True)
        env = {
            **os.environ,
            "CUSTSEG_DUCKDB_PATH": str(warehouse or self.run.warehouse),
            "CUSTSEG_DUCKDB_TEMP_DIR": str(self.project_dir / "duckdb_tmp"),
            "DBT_PROJECT_DIR": str(self.project_dir),
            "DBT_PROFILES_DIR": str(self.project_dir),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        completed = subprocess.run(
            [mf_executable(), "query", *args, "--csv", str(out)],
            cwd=self.project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0 and out.exists(), completed.stdout + completed.stderr
        with out.open(newline="") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def built(tmp_path_factory, sample_build: DbtRun) -> tuple[DbtRun, MetricFlow]:
    """The shared build, on a copy with the same file name (the semantic manifest's database)."""
    workdir = tmp_path_factory.mktemp("semantic")
    warehouse = workdir / sample_build.warehouse.name
    shutil.copyfile(sample_build.warehouse, warehouse)
    run = DbtRun(0, sample_build.output, warehouse, sample_build.target)
    return run, MetricFlow(run, sample_build.target, workdir / "mf_project")


def decimal_or_none(value: str) -> Decimal | None:
    return Decimal(value) if value != "" else None


def float_or_none(value: str) -> float | None:
    return float(value) if value != "" else None


def segment_query(mf: MetricFlow, warehouse: Path | None = None) -> dict[tuple[str, str], dict]:
    rows = mf.query(
        "--metrics",
        "customers,revenue_gbp,smartcart_revenue,revenue_share,average_basket_value_gbp",
        "--group-by",
        "customer__source,customer__segment_name",
        warehouse=warehouse,
    )
    return {
        (row["customer__source"], row["customer__segment_name"]): {
            "customers": int(row["customers"]),
            "revenue_gbp": decimal_or_none(row["revenue_gbp"]),
            "smartcart_revenue": decimal_or_none(row["smartcart_revenue"]),
            "revenue_share": float(row["revenue_share"]),
            "average_basket_value_gbp": float_or_none(row["average_basket_value_gbp"]),
        }
        for row in rows
    }


def reference_by_segment(run: DbtRun) -> dict[tuple[str, str], dict]:
    rows = run.query(
        f"""
        with customers as ({REFERENCE_CUSTOMERS})
        select
            source,
            segment_name,
            count(*),
            sum(monetary_gbp),
            sum(total_spend),
            sum(source_revenue) / (
                select sum(whole.source_revenue) from customers as whole where whole.source = customers.source
            ),
            sum(total_sales_gbp) / sum(frequency)
        from customers
        group by source, segment_name
        """
    )
    return {
        (source, name): {
            "customers": customers,
            "revenue_gbp": revenue_gbp,
            "smartcart_revenue": smartcart_revenue,
            "revenue_share": float(share),
            "average_basket_value_gbp": None if basket is None else float(basket),
        }
        for source, name, customers, revenue_gbp, smartcart_revenue, share, basket in rows
    }


def assert_segments_agree(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        have = got[key]
        assert have["customers"] == want["customers"], key
        assert have["revenue_gbp"] == want["revenue_gbp"], key
        assert have["smartcart_revenue"] == want["smartcart_revenue"], key
        assert have["revenue_share"] == pytest.approx(want["revenue_share"], abs=1e-12), key
        basket = want["average_basket_value_gbp"]
        if basket is None:
            assert have["average_basket_value_gbp"] is None, key
        else:
            assert have["average_basket_value_gbp"] == pytest.approx(basket, rel=1e-12), key


def test_metrics_by_segment_match_sql_on_the_marts(built):
    run, mf = built
    got = segment_query(mf)
    assert_segments_agree(got, reference_by_segment(run))
    for source in ("online_retail", "smartcart"):
        shares = [row["revenue_share"] for (row_source, _), row in got.items() if row_source == source]
        assert sum(shares) == pytest.approx(1, abs=1e-9)
    # The segment mart computes the share on its own (from feature profiles): same answer.
    profiles = run.query("select source, segment_name, customers, revenue_share from marts.segment_profiles")
    for source, name, customers, share in profiles:
        assert got[(source, name)]["customers"] == customers
        assert got[(source, name)]["revenue_share"] == pytest.approx(share, abs=1e-6)


def test_customers_and_revenue_by_country_match_sql(built):
    run, mf = built
    rows = mf.query("--metrics", "customers,revenue_gbp", "--group-by", "customer__country")
    got = {
        row["customer__country"]: (int(row["customers"]), decimal_or_none(row["revenue_gbp"])) for row in rows
    }
    expected = {
        country: (customers, revenue)
        for country, customers, revenue in run.query(
            "select country, count(*), sum(monetary_gbp) from marts.online_retail_customers group by country"
        )
    }
    # SmartCart records no country: its customers are the one empty group, without GBP revenue.
    expected[""] = (run.scalar("select count(*) from marts.smartcart_customers"), None)
    assert got == expected


def test_rfm_segments_of_both_sources_match_sql(built):
    run, mf = built
    rows = mf.query(
        "--metrics",
        "customers,revenue_gbp,smartcart_revenue",
        "--group-by",
        "customer__source,customer__rfm_segment",
    )
    got = {
        (row["customer__source"], row["customer__rfm_segment"]): (
            int(row["customers"]),
            decimal_or_none(row["revenue_gbp"]),
            decimal_or_none(row["smartcart_revenue"]),
        )
        for row in rows
    }
    expected = {
        (source, rfm_segment): (customers, revenue_gbp, smartcart_revenue)
        for source, rfm_segment, customers, revenue_gbp, smartcart_revenue in run.query(
            f"""
            with customers as ({REFERENCE_CUSTOMERS})
            select source, rfm_segment, count(*), sum(monetary_gbp), sum(total_spend)
            from customers
            group by source, rfm_segment
            """
        )
    }
    assert got == expected


def test_comparison_fails_when_the_semantic_table_is_wrong(built, tmp_path):
    """The check can fail: add 1 GBP to one customer's revenue behind MetricFlow's back."""
    run, mf = built
    tampered = tmp_path / run.warehouse.name  # same file name: the manifest's database name
    shutil.copy(run.warehouse, tampered)
    with duckdb.connect(str(tampered)) as connection:
        connection.execute(
            "update semantic.semantic_customers set revenue_gbp = revenue_gbp + 1 "
            "where customer_key = (select min(customer_key) from semantic.semantic_customers "
            "where source = 'online_retail')"
        )
    got = segment_query(mf, warehouse=tampered)
    with pytest.raises(AssertionError):
        assert_segments_agree(got, reference_by_segment(run))
    assert sum(row["revenue_gbp"] or 0 for row in got.values()) == run.scalar(
        "select sum(monetary_gbp) + 1 from marts.online_retail_customers"
    )


def test_history_metrics_by_segment_and_month_match_the_history_mart(built):
    """Customers and revenue by segment by month, as a BI user asks MetricFlow for them."""
    run, mf = built
    rows = mf.query(
        "--metrics",
        "segment_customers_over_time,segment_revenue_over_time",
        "--group-by",
        "metric_time__month,customer_period__history_segment_name",
    )
    got = {
        (row["metric_time__month"][:10], row["customer_period__history_segment_name"]): (
            int(row["segment_customers_over_time"]),
            Decimal(row["segment_revenue_over_time"]),
        )
        for row in rows
    }
    expected = {
        (str(month), name): (customers, revenue)
        for month, name, customers, revenue in run.query(
            "select period_start, segment_name, count(*), sum(period_revenue_gbp)"
            " from marts.customer_segment_history group by all"
        )
    }
    assert len(expected) > 12 and got.keys() == expected.keys()
    for key, (customers, revenue) in expected.items():
        assert got[key][0] == customers, key
        assert abs(got[key][1] - revenue) < Decimal("0.01"), key
