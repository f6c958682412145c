{#
    One row per customer with at least one product purchase: the sales, basket and
    return aggregates the customer marts and features are built from. Product lines
    only (postage, fees and other non-product lines are not purchases). Money in GBP.
#}

{# Customer grain, read by several marts and tests: a table, not a view over every line. #}
{{ config(materialized='table') }}

with

product_lines as (

    select
        customer_id,
        invoice_no,
        invoice_date,
        stock_code,
        quantity,
        line_amount_gbp,
        country,
        is_return
    from {{ ref('int_transaction_lines_classified') }}
    where is_product

),

as_of as (

    select {{ reference_date('online_retail_as_of_date', 'max(invoice_date)') }} as as_of_date
    from {{ ref('stg_online_retail__transactions') }}

),

purchases as (

    select * from product_lines
    where not is_return

),

returns as (

    select * from product_lines
    where is_return

),

baskets as (

    select
        customer_id,
        invoice_no,
        sum(line_amount_gbp) as basket_value_gbp
    from purchases
    group by customer_id, invoice_no

),

purchase_summary as (

    select
        customer_id,
        count(distinct invoice_no) as purchase_invoices,
        count(*) as product_lines,
        sum(quantity) as units_purchased,
        count(distinct stock_code) as distinct_products,
        sum(line_amount_gbp) as gross_sales_gbp,
        min(invoice_date) as first_purchase_date,
        max(invoice_date) as last_purchase_date
    from purchases
    group by customer_id

),

basket_summary as (

    select
        customer_id,
        avg(basket_value_gbp) as average_basket_value_gbp,
        min(basket_value_gbp) as min_basket_value_gbp,
        max(basket_value_gbp) as max_basket_value_gbp
    from baskets
    group by customer_id

),

return_summary as (

    select
        customer_id,
        count(distinct invoice_no) as return_invoices,
        count(*) as return_lines,
        -sum(line_amount_gbp) as returned_value_gbp
    from returns
    group by customer_id

),

country_lines as (

    select
        customer_id,
        country,
        count(*) as line_count
    from product_lines
    group by customer_id, country

),

main_country as (

    select
        customer_id,
        country
    from country_lines
    qualify row_number() over (partition by customer_id order by line_count desc, country asc) = 1

),

final as (

    select
        purchase_summary.customer_id,
        main_country.country,
        as_of.as_of_date,
        purchase_summary.first_purchase_date,
        purchase_summary.last_purchase_date,
        {{ dbt.datediff('purchase_summary.last_purchase_date', 'as_of.as_of_date', 'day') }} as recency_days,  -- noqa: LT05
        {{ dbt.datediff('purchase_summary.first_purchase_date', 'as_of.as_of_date', 'day') }} as tenure_days,  -- noqa: LT05
        purchase_summary.purchase_invoices,
        purchase_summary.purchase_invoices + coalesce(return_summary.return_invoices, 0) as total_transactions,
        purchase_summary.product_lines,
        purchase_summary.units_purchased,
        purchase_summary.distinct_products,
        purchase_summary.gross_sales_gbp,
        coalesce(return_summary.return_lines, 0) as return_lines,
        coalesce(return_summary.returned_value_gbp, 0) as returned_value_gbp,
        purchase_summary.gross_sales_gbp - coalesce(return_summary.returned_value_gbp, 0) as net_sales_gbp,
        basket_summary.average_basket_value_gbp,
        basket_summary.min_basket_value_gbp,
        basket_summary.max_basket_value_gbp
    from purchase_summary
    inner join basket_summary
        on purchase_summary.customer_id = basket_summary.customer_id
    inner join main_country
        on purchase_summary.customer_id = main_country.customer_id
    left join return_summary
        on purchase_summary.customer_id = return_summary.customer_id
    cross join as_of

)

select * from final
