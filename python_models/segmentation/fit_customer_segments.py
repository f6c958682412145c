"""Every customer of both sources with its segment, distance to the segment's centroid, margin to the
next centroid and outlier flag. The first of the fit_* models: it fits the clusterer
(custseg.segmentation), the others reuse the in-process result."""

from custseg.dbt_glue import segmentation_table


def model(dbt, session):
    # dbt finds refs and config keys by reading this file: keep each call a plain statement.
    dbt.config(materialized="table")
    settings = dbt.config.meta_get("segmentation")
    smartcart = dbt.ref("customer_features_smartcart")
    online_retail = dbt.ref("customer_features_online_retail")
    online_retail_items = dbt.ref("online_retail_customer_item_purchases")
    previous_centroids = dbt.source("segment_history", "previous_segment_centroids")
    return segmentation_table(
        "assignments",
        settings=settings,
        features={"smartcart": smartcart, "online_retail": online_retail},
        item_patterns={"online_retail": online_retail_items},
        previous_centroids=previous_centroids,
    )
