"""The segmentation model of every source, fitted once per build: one row per source with
the fitted preprocessing, projection, centroids, model selection, comparisons and id
matching as nested columns. SQL models unnest them and score every customer.

A refresh keeps a source's previous fit unless var refit is true, its settings changed or its
drift is above var segment_refit_drift_threshold (custseg.integration.fit_model.fit_sources)."""

from custseg.integration.fit_model import fit_sources, previous_centroids, previous_fit_rows


def model(dbt, session):
    # dbt finds refs and config keys by reading this file: keep each call a plain statement.
    dbt.config(materialized="table")
    settings = dbt.config.meta_get("segmentation")
    refit = dbt.config.get("refit")
    drift_threshold = dbt.config.get("refit_drift_threshold")
    features = {
        "online_retail": dbt.ref("customer_features_online_retail"),
        "smartcart": dbt.ref("customer_features_smartcart"),
    }
    items = {"online_retail": dbt.ref("online_retail_customer_item_purchases")}
    return fit_sources(
        settings,
        features,
        items,
        previous=previous_centroids(session, dbt.this),
        previous_fits=previous_fit_rows(session, dbt.this),
        refit=str(refit).lower() in ("true", "1", "yes"),
        drift_threshold=float(drift_threshold),
    )
