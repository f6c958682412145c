"""How this build's segment ids were matched to the previous build's (Hungarian matching on centroids)."""

from custseg.dbt_glue import segmentation_table


def model(dbt, session):
    # dbt finds refs and config keys by reading this file: keep each call a plain statement.
    dbt.config(materialized="table")
    dbt.ref("fit_customer_segments")  # after the fit, whose in-process result this reuses
    settings = dbt.config.meta_get("segmentation")
    smartcart = dbt.ref("customer_features_smartcart")
    online_retail = dbt.ref("customer_features_online_retail")
    online_retail_items = dbt.ref("online_retail_customer_item_purchases")
    previous_centroids = dbt.source("segment_history", "previous_segment_centroids")
    return segmentation_table(
        "id_matching",
        settings=settings,
        features={"smartcart": smartcart, "online_retail": online_retail},
        item_patterns={"online_retail": online_retail_items},
        previous_centroids=previous_centroids,
    )
