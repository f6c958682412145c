"""Customer value and churn risk of every source, fitted once per build: one row per source
with the fitted models' summary and every customer's predictions as a nested column, which
SQL models unnest (customer_value, customer_value_models)."""

from custseg.integration.value_models import fit_value_sources


def model(dbt, session):
    # dbt finds refs and config keys by reading this file: keep each call a plain statement.
    dbt.config(materialized="table")
    settings = dbt.config.meta_get("value")
    sources = dbt.config.meta_get("sources")
    inputs = dbt.ref("customer_value_inputs")
    return fit_value_sources(settings, inputs, sources)
