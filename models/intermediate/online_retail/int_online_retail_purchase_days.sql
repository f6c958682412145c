{#
    One row per customer and day with purchase invoices that count (paid product lines of an
    invoice not returned in full, returns netted): the day’s invoices and their value. The
    purchase as the value models count it (pymc-marketing’s rfm_summary: one purchase per
    customer and day), read by customer_value_inputs and customer_value_calibration_inputs.
#}
{# Not on Spark: the value models’ input (DuckDB only, like them). #}
{{ config(enabled=target.type != 'spark') }}

with

invoices as (

    select
        customer_id,
        invoice_date,
        gross_value_gbp
    from {{ ref('int_purchase_invoices_netted') }}
    where is_counted_purchase

),

final as (

    select
        customer_id,
        invoice_date as purchase_date,
        count(*) as purchase_invoices,
        sum(gross_value_gbp) as purchase_value_gbp
    from invoices
    group by customer_id, invoice_date

)

select * from final
