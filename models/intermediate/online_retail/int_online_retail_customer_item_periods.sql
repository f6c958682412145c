{#
    The retailer’s purchase lines per customer of the customer marts, product and history
    period (see int_online_retail_customer_periods): the product’s lines, keyed by the as-of
    point from which they count. Summed up to a point: the customer’s distinct products and
    item purchase pattern as of that point.
#}
{# Not on Spark: the segment history’s input (DuckDB only, like it). #}
{# Customer-product-period grain, read once per as-of point: a table. #}
{{ config(materialized='table', enabled=target.type != 'spark') }}

with

as_of as (

    select max(as_of_date) as as_of_date
    from {{ ref('int_online_retail_customers_aggregated') }}

),

customers as (

    select customer_id
    from {{ ref('int_online_retail_customers_aggregated') }}

),

purchases as (

    select
        classified.customer_id,
        classified.stock_code,
        {{ history_point('classified.invoice_date', 'as_of.as_of_date') }} as counts_from
    from {{ ref('int_transaction_lines_classified') }} as classified
    inner join customers
        on classified.customer_id = customers.customer_id
    cross join as_of
    where classified.is_purchase_line and classified.invoice_date < as_of.as_of_date

),

final as (

    select
        customer_id,
        stock_code,
        counts_from,
        count(*) as purchase_lines
    from purchases
    group by customer_id, stock_code, counts_from

)

select * from final
