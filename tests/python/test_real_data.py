"""Builds on the real files in ../shared/data (skipped when absent) and checks known facts."""

from __future__ import annotations

import pytest
from conftest import DbtRun, invoke_dbt, require_shared_data

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def international_build(tmp_path_factory):
    data = require_shared_data("smartcart_customers.csv", "int_online_tx.csv")
    return _build(tmp_path_factory, data / "smartcart_customers.csv", data / "int_online_tx.csv")


@pytest.fixture(scope="module")
def full_file_build(tmp_path_factory):
    data = require_shared_data("smartcart_customers.csv", "online_retail.csv.gz")
    return _build(tmp_path_factory, data / "smartcart_customers.csv", data / "online_retail.csv.gz")


def _build(tmp_path_factory, customers, transactions) -> DbtRun:
    run = invoke_dbt(
        "build",
        workdir=tmp_path_factory.mktemp("real"),
        env={
            "SMARTCART_CUSTOMERS_PATH": str(customers),
            "ONLINE_RETAIL_TRANSACTIONS_PATH": str(transactions),
        },
    )
    assert run.returncode == 0, run.output[-5000:]
    return run


def test_smartcart_rows_all_accounted_for(international_build):
    clean = international_build.scalar("select count(*) from staging.stg_smartcart__customers")
    rejected = international_build.scalar("select count(*) from staging.stg_smartcart__rejected_customers")
    assert clean + rejected == 2240
    assert (
        international_build.scalar(
            "select count(*) from staging.stg_smartcart__customers where is_income_missing"
        )
        == 24
    )
    assert (
        international_build.scalar(
            "select count(*) from staging.stg_smartcart__customers where is_birth_year_implausible"
        )
        == 3
    )
    assert international_build.scalar(
        "select list(income) from staging.stg_smartcart__customers where is_income_implausible"
    ) == [666666]


def test_international_lines_all_accounted_for(international_build):
    clean = international_build.scalar("select count(*) from staging.stg_online_retail__transactions")
    reasons = dict(
        international_build.query(
            "select rejection_reason, count(*) from staging.stg_online_retail__rejected_lines group by 1"
        )
    )
    assert clean + sum(reasons.values()) == 35116
    assert reasons["missing_customer_id"] == 1418
    assert "unparseable_invoice_date" not in reasons
    assert (
        international_build.scalar(
            "select count(distinct customer_id) from staging.stg_online_retail__transactions"
        )
        == 409
    )


def test_full_file_lines_all_accounted_for(full_file_build):
    clean = full_file_build.scalar("select count(*) from staging.stg_online_retail__transactions")
    reasons = dict(
        full_file_build.query(
            "select rejection_reason, count(*) from staging.stg_online_retail__rejected_lines group by 1"
        )
    )
    assert clean + sum(reasons.values()) == 541909
    assert reasons["missing_customer_id"] == 135080
    assert (
        full_file_build.scalar(
            "select count(distinct customer_id) from staging.stg_online_retail__transactions"
        )
        == 4372
    )
    assert (
        full_file_build.scalar(
            "select count(*) from staging.stg_online_retail__transactions where is_cancellation"
        )
        <= 9288
    )
