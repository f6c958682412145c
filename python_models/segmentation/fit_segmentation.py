"""The segmentation model of every source, fitted once per build: one row per source with
the fitted preprocessing, projection, centroids, model selection, comparisons and id
matching as nested columns. SQL models unnest them and score every customer."""

from custseg.integration.fit_model import fit_sources, previous_centroids


def model(dbt, session):
    # dbt finds refs and config keys by reading this file: keep each call a plain statement.
    dbt.config(materialized="table")
    settings = dbt.config.meta_get("segmentation")
    features = {
        "online_retail": dbt.ref("customer_features_online_retail"),
        "smartcart": dbt.ref("customer_features_smartcart"),
    }
    items = {"online_retail": dbt.ref("online_retail_customer_item_purchases")}
    return fit_sources(settings, features, items, previous=previous_centroids(session, dbt.this))
