"""Customer value and churn risk of every source, fitted once per build, and the proof: the
same models fitted on the history before the holdout and compared with what customers bought
in it. One row per source and fit (full_history, holdout) with the summary and the
per-customer results as nested columns, which SQL models unnest (customer_value,
customer_value_models, customer_value_evaluation, customer_value_holdout_customers)."""

from custseg.integration.value_models import fit_value_sources_in_worker


def model(dbt, session):
    # dbt finds refs and config keys by reading this file: keep each call a plain statement.
    dbt.config(materialized="table")
    settings = dbt.config.meta_get("value")
    sources = dbt.config.meta_get("sources")
    holdout_sources = dbt.config.meta_get("holdout_sources")
    holdout_days = int(dbt.config.meta_get("holdout_days"))
    inputs = dbt.ref("customer_value_inputs")
    calibration = dbt.ref("customer_value_calibration_inputs")
    return fit_value_sources_in_worker(
        settings,
        inputs,
        sources,
        calibration=calibration,
        holdout_days=holdout_days,
        holdout_sources=holdout_sources,
    )
