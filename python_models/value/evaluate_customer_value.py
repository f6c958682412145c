"""The value models' proof: fitted again on every source's calibration period (the history
before the holdout) and compared with what customers bought in the holdout, against the
naive baseline. One row per source with the metrics and the per-customer results nested;
SQL unnests them (customer_value_evaluation)."""

from custseg.integration.value_models import evaluate_value_sources


def model(dbt, session):
    # dbt finds refs and config keys by reading this file: keep each call a plain statement.
    dbt.config(materialized="table")
    settings = dbt.config.meta_get("value")
    sources = dbt.config.meta_get("sources")
    holdout_days = int(dbt.config.meta_get("holdout_days"))
    calibration = dbt.ref("customer_value_calibration_inputs")
    return evaluate_value_sources(settings, calibration, holdout_days=holdout_days, sources=sources)
