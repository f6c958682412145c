with

customers as (

    select * from {{ ref('int_online_retail_customers_aggregated') }}

),

rfm as (

    select
        customer_id,
        r_score,
        f_score,
        m_score,
        fm_score,
        rfm_cell,
        rfm_segment
    from {{ ref('int_customer_rfm_scored') }}
    where source = 'online_retail'

),

final as (

    select
        customers.customer_id,
        customers.country,
        customers.as_of_date,
        customers.first_purchase_date,
        customers.last_purchase_date,
        cast(customers.recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(customers.tenure_days as {{ dbt.type_int() }}) as tenure_days,
        cast(customers.purchase_invoices as {{ dbt.type_int() }}) as frequency,
        cast(customers.monetary_gbp as decimal(38, 2)) as monetary_gbp,
        cast(customers.fully_returned_invoices as {{ dbt.type_int() }}) as fully_returned_invoices,
        cast(customers.total_transactions as {{ dbt.type_int() }}) as total_transactions,
        cast(customers.product_lines as {{ dbt.type_int() }}) as total_product_lines,
        cast(customers.units_purchased as {{ dbt.type_bigint() }}) as units_purchased,
        cast(customers.distinct_products as {{ dbt.type_int() }}) as distinct_products,
        cast(customers.gross_sales_gbp as decimal(38, 2)) as total_sales_gbp,
        cast(customers.net_sales_gbp as decimal(38, 2)) as net_sales_gbp,
        cast(customers.manual_adjustments_gbp as decimal(38, 2)) as manual_adjustments_gbp,
        cast(customers.gross_sales_gbp / customers.product_lines as decimal(38, 4)) as average_line_value_gbp,
        cast(customers.average_basket_value_gbp as decimal(38, 4)) as average_basket_value_gbp,
        cast(customers.min_basket_value_gbp as decimal(38, 2)) as min_basket_value_gbp,
        cast(customers.max_basket_value_gbp as decimal(38, 2)) as max_basket_value_gbp,
        cast(customers.return_lines as {{ dbt.type_int() }}) as return_lines,
        cast(customers.returned_value_gbp as decimal(38, 2)) as returned_value_gbp,
        {{ share_of('customers.returned_value_gbp', 'customers.gross_sales_gbp') }} as return_share,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.fm_score,
        rfm.rfm_cell,
        rfm.rfm_segment
    from customers
    inner join rfm
        on customers.customer_id = rfm.customer_id

)

select * from final
