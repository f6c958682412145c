{#
    One row per customer of both sources with what a campaign tool needs: the segment, its
    suggested action, the RFM segment of the customer and the figures to filter or personalise
    on (days since the last purchase, orders, revenue in the currency of the source, average
    order value), and the churn risk and predicted value of customer_value with the band’s
    suggested action (seed churn_risk_actions). The campaign lists (one CSV and one Parquet
    file per segment and per churn-risk band) are this table split, written on every publish.
#}
{# Not on Spark: reads customer_value (DuckDB only). #}
{{ config(enabled=target.type != 'spark') }}

with

segments as (

    select
        source,
        customer_id,
        segment_id,
        segment_name
    from {{ ref('customer_segments') }}

),

profiles as (

    select
        source,
        segment_id,
        suggested_action
    from {{ ref('segment_profiles') }}

),

customer_value as (

    select
        source,
        customer_id,
        churn_risk,
        probability_no_purchase,
        predicted_value
    from {{ ref('customer_value') }}

),

churn_risk_actions as (

    select
        churn_risk,
        suggested_action
    from {{ ref('churn_risk_actions') }}

),

report_sources as (

    select
        source,
        revenue_unit
    from {{ ref('segment_report_sources') }}

),

online_retail_customers as (

    select
        customer_id,
        country,
        rfm_segment,
        last_purchase_date,
        recency_days,
        frequency,
        monetary_gbp,
        average_basket_value_gbp
    from {{ ref('online_retail_customers') }}

),

smartcart_customers as (

    select
        customer_id,
        rfm_segment,
        recency_days,
        total_purchases,
        total_spend
    from {{ ref('smartcart_customers') }}

),

customers as (

    select
        'online_retail' as source,
        customer_id,
        country,
        rfm_segment,
        last_purchase_date,
        recency_days,
        frequency as orders,
        cast(monetary_gbp as decimal(18, 2)) as revenue,
        cast(average_basket_value_gbp as decimal(18, 2)) as average_order_value
    from online_retail_customers
    union all
    select
        'smartcart' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as country,
        rfm_segment,
        cast(null as date) as last_purchase_date,
        recency_days,
        total_purchases as orders,
        cast(total_spend as decimal(18, 2)) as revenue,
        cast(null as decimal(18, 2)) as average_order_value
    from smartcart_customers

),

final as (

    select
        segments.source,
        segments.customer_id,
        customers.country,
        segments.segment_id,
        segments.segment_name,
        profiles.suggested_action,
        customers.rfm_segment,
        cast(customers.recency_days as {{ dbt.type_int() }}) as days_since_last_purchase,
        customers.last_purchase_date,
        cast(customers.orders as {{ dbt.type_int() }}) as orders,
        customers.revenue,
        report_sources.revenue_unit as currency,
        customers.average_order_value,
        customer_value.churn_risk,
        churn_risk_actions.suggested_action as churn_risk_action,
        cast(round(customer_value.probability_no_purchase, 3) as decimal(18, 3)) as probability_no_purchase,
        cast(customer_value.predicted_value as decimal(18, 2)) as predicted_value
    from segments
    inner join customers
        on
            segments.source = customers.source
            and segments.customer_id = customers.customer_id
    inner join profiles
        on
            segments.source = profiles.source
            and segments.segment_id = profiles.segment_id
    left join report_sources
        on segments.source = report_sources.source
    inner join customer_value
        on
            segments.source = customer_value.source
            and segments.customer_id = customer_value.customer_id
    inner join churn_risk_actions
        on customer_value.churn_risk = churn_risk_actions.churn_risk

)

select * from final
