{#
    One row per customer of either source, keyed by customer_key = '<source>:<customer_id>'
    (the key customer_segments is joined on in the semantic layer), with the columns the
    MetricFlow measures and dimensions read. Each revenue column keeps its own currency:
    revenue_gbp is the retailer’s, smartcart_revenue SmartCart’s (currency units); the
    other source’s column is NULL. revenue_share is currency-free: the customer’s share of
    the revenue of its own source (the revenue feature of var segment_revenue_features), so that
    summing it over any group of customers of one source gives the share of the group.
#}

with

online_retail_customers as (

    select * from {{ ref('online_retail_customers') }}

),

smartcart_customers as (

    select * from {{ ref('smartcart_customers') }}

),

online_retail as (

    select
        'online_retail' as source,
        customer_id,
        country,
        rfm_segment,
        as_of_date,
        first_purchase_date as customer_since_date,
        monetary_gbp as revenue_gbp,
        total_sales_gbp as gross_sales_gbp,
        frequency as purchase_invoices,
        cast(null as decimal(18, 2)) as smartcart_revenue,
        monetary_gbp as source_revenue
    from online_retail_customers

),

smartcart as (

    select
        'smartcart' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as country,
        rfm_segment,
        reference_date as as_of_date,
        enrolled_date as customer_since_date,
        cast(null as decimal(38, 2)) as revenue_gbp,
        cast(null as decimal(38, 2)) as gross_sales_gbp,
        cast(null as {{ dbt.type_int() }}) as purchase_invoices,
        total_spend as smartcart_revenue,
        total_spend as source_revenue
    from smartcart_customers

),

unioned as (

    select * from online_retail
    union all
    select * from smartcart

),

final as (

    select
        source || ':' || customer_id as customer_key,
        source,
        customer_id,
        country,
        rfm_segment,
        as_of_date,
        customer_since_date,
        revenue_gbp,
        gross_sales_gbp,
        purchase_invoices,
        smartcart_revenue,
        {{ share_of('source_revenue', 'sum(source_revenue) over (partition by source)') }} as revenue_share
    from unioned

)

select * from final
