{#
    One row per customer the customer marts show: a customer with at least one purchase
    invoice that counts (a paid product purchase not returned in full; see
    int_purchase_invoices_netted). The sales, basket and return aggregates the customer marts
    and features are built from, from int_online_retail_customer_lines_summarised (the other
    customers are in online_retail_customers_left_out). Money in GBP.

    What the customer spent (monetary_gbp, the M of RFM): product sales net of returns, plus the
    manual adjustments (line type manual_adjustment: charges positive, credits negative), floored
    at 0. Manual credits on cancellation invoices correct what the customer was charged (in the
    full file a GBP 38,970 credit cancels a line keyed at 649.50 a unit instead of for the
    set), so leaving them out would overstate what such customers spent; manual_adjustments_gbp
    shows the amount.
#}

{# Customer grain, read by several marts and tests: a table, not a view over every line. #}
{{ config(materialized='table') }}

with

customers as (

    select * from {{ ref('int_online_retail_customer_lines_summarised') }}
    where exclusion_reason is null

),

product_lines as (

    select
        customer_id,
        country
    from {{ ref('int_transaction_lines_classified') }}
    where is_product

),

as_of as (

    select {{ reference_date('online_retail_as_of_date', 'max(invoice_date)') }} as as_of_date
    from {{ ref('stg_online_retail__transactions') }}

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
        customers.customer_id,
        main_country.country,
        as_of.as_of_date,
        customers.first_purchase_date,
        customers.last_purchase_date,
        {{ dbt.datediff('customers.last_purchase_date', 'as_of.as_of_date', 'day') }} as recency_days,  -- noqa: LT05
        {{ dbt.datediff('customers.first_purchase_date', 'as_of.as_of_date', 'day') }} as tenure_days,  -- noqa: LT05
        customers.purchase_invoices,
        customers.fully_returned_invoices,
        customers.purchase_invoices + customers.return_invoices as total_transactions,
        customers.purchase_lines as product_lines,
        customers.units_purchased,
        customers.distinct_products,
        customers.gross_sales_gbp,
        customers.return_lines,
        customers.returned_value_gbp,
        customers.gross_sales_gbp - customers.returned_value_gbp as net_sales_gbp,
        customers.manual_adjustments_gbp,
        greatest(customers.gross_sales_gbp - customers.returned_value_gbp + customers.manual_adjustments_gbp, 0)
            as monetary_gbp,
        customers.average_basket_value_gbp,
        customers.min_basket_value_gbp,
        customers.max_basket_value_gbp
    from customers
    inner join main_country
        on customers.customer_id = main_country.customer_id
    cross join as_of

)

select * from final
