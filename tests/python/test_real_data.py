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


def test_international_file_read_month_first(international_build):
    assert international_build.query(
        "select date_order, date_order_decided_by, decimal_separator, day_first_lines "
        "from staging.base_online_retail__file_formats"
    ) == [("month_first", "values", "point", 0)]


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


def test_one_customer_row_per_customer_with_a_purchase_that_counts(international_build):
    customers = international_build.scalar("select count(*) from marts.online_retail_customers")
    with_counted_purchase = international_build.scalar(
        "select count(distinct customer_id) from intermediate.int_purchase_invoices_netted "
        "where is_counted_purchase"
    )
    left_out = international_build.scalar("select count(*) from marts.online_retail_customers_left_out")
    assert customers == with_counted_purchase
    assert customers + left_out == 409


def test_full_file_customers_accounted_for_with_their_reasons(full_file_build):
    placed = dict(
        full_file_build.query(
            "select coalesce(exclusion_reason, 'in the customer mart'), count(*) "
            "from intermediate.int_online_retail_customer_lines_summarised group by 1"
        )
    )
    assert sum(placed.values()) == 4372
    assert placed["in the customer mart"] == full_file_build.scalar(
        "select count(*) from marts.online_retail_customers"
    )
    # 12346 bought 74,215 storage jars (77,183.60) and cancelled them 16 minutes later: no purchase.
    assert full_file_build.query(
        "select exclusion_reason, cast(gross_sales_gbp as varchar), cast(returned_value_gbp as varchar) "
        "from marts.online_retail_customers_left_out where customer_id = '12346'"
    ) == [("only_free_or_returned_purchases", "77183.60", "77183.60")]
    # 15098: a set of 60 picnic baskets keyed at 649.50 each, corrected by a manual credit of 38,970.
    assert [
        float(v)
        for v in full_file_build.query(
            "select frequency, monetary_gbp, manual_adjustments_gbp from marts.online_retail_customers "
            "where customer_id = '15098'"
        )[0]
    ] == [2, 649.50, -38970.00]


def test_full_file_non_product_rules_and_data_quality_report(full_file_build):
    by_rule = full_file_build.query(
        "select stock_code, line_type from intermediate.int_stock_codes_classified "
        "where classified_by in ('description_rule', 'code_shape_rule')"
    )
    assert ("23574", "fee") in by_rule  # PACKING CHARGE, a fee under a product-like code
    summary = dict(
        full_file_build.query(
            "select report_item, report_value from marts.online_retail_data_quality "
            "where report_section = 'summary'"
        )
    )
    assert summary["rows"].startswith("rows: 541909 raw = 401604 clean + 140305 rejected")
    assert "utf-8" in summary["file"] and "dates year first" in summary["file"]


def test_customer_12347_matches_a_direct_query_over_clean_lines(international_build):
    """Total sales, transactions and basket figures equal a query written from scratch."""
    direct = international_build.query(
        """
        with lines as (
            select invoice_no, quantity * unit_price_gbp as amount
            from staging.stg_online_retail__transactions
            where customer_id = '12347'
                and invoice_no not like 'C%'
                and quantity > 0
                and unit_price_gbp > 0
                and stock_code not in (select stock_code from seeds.non_product_stock_codes)
        ),
        baskets as (select invoice_no, sum(amount) as basket from lines group by 1)
        select
            (select round(sum(amount), 2) from lines),
            (select count(*) from baskets),
            (select count(*) from lines),
            (select round(avg(basket), 4) from baskets),
            (select round(min(basket), 2) from baskets),
            (select round(max(basket), 2) from baskets)
        """
    )[0]
    mart = international_build.query(
        """
        select total_sales_gbp, frequency, total_product_lines, average_basket_value_gbp,
            min_basket_value_gbp, max_basket_value_gbp
        from marts.online_retail_customers where customer_id = '12347'
        """
    )[0]
    assert [float(value) for value in mart] == [float(value) for value in direct]
    assert direct[1] > 1 and direct[0] > 0


def test_category_rules_cover_ninety_percent_of_product_revenue(full_file_build):
    coverage = full_file_build.scalar(
        "select sum(sales_gbp) filter (where category <> 'other') / sum(sales_gbp) "
        "from marts.online_retail_products"
    )
    assert coverage >= 0.9
    categories = full_file_build.scalar("select count(distinct category) from marts.online_retail_products")
    assert 8 <= categories <= 12


def test_rfm_segments_cover_every_customer(international_build):
    for table in ("marts.online_retail_customers", "marts.smartcart_customers"):
        missing = international_build.scalar(f"select count(*) from {table} where rfm_segment is null")
        assert missing == 0
    smartcart = international_build.scalar("select count(*) from marts.smartcart_customers")
    assert smartcart == 2240
