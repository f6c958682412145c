{#
    The retailer’s purchase lines per customer of the customer marts, product and history
    period (see int_online_retail_customer_periods): the product’s lines and units, keyed by
    the as-of point from which they count. Summed up to a point: the customer’s distinct
    products and item purchase pattern as of that point; summed over all periods: the item
    purchase mart (one pass over the lines for both).
#}
{# Customer-product-period grain, read by the item mart and the segment history: a table. #}
{{ config(materialized='table') }}

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
        classified.quantity,
        {{ history_point('classified.invoice_date', 'as_of.as_of_date') }} as counts_from
    from {{ ref('int_transaction_lines_classified') }} as classified
    inner join customers
        on classified.customer_id = customers.customer_id
    cross join as_of
    where classified.is_purchase_line

),

final as (

    select
        customer_id,
        stock_code,
        counts_from,
        count(*) as purchase_lines,
        sum(quantity) as units_purchased
    from purchases
    group by customer_id, stock_code, counts_from

)

select * from final
