{#
    The fit model on Spark (issue #14), where dbt cannot run the Python model beside this file:
    ./scripts/spark.sh fits every source with the same package over the Spark feature marts and
    writes the same table (custseg.integration.spark.fit; one row per source, nested columns),
    and this model makes it the fit model, so every model after it reads it through ref().
    Enabled on Spark only; the Python model is disabled there (dbt_project.yml).
#}
{{ config(enabled=target.type == 'spark') }}

-- depends_on: {{ ref('customer_features_online_retail') }}
-- depends_on: {{ ref('customer_features_smartcart') }}
-- depends_on: {{ ref('online_retail_customer_item_purchases') }}

select * from {{ source('fitted_models', 'fit_segmentation') }}
