{#
    Recency, frequency and monetary value of every customer of both sources, scored
    1-5 within its source (macro quintile_score) and named by the seed
    rfm_segment_rules. One model for both sources, so the scoring rules are written once.
#}

{# Customer grain, read by several marts and tests: a table, not a view over every line. #}
{{ config(materialized='table') }}

with

online_retail_customers as (

    select
        'online_retail' as source,
        customer_id,
        recency_days,
        purchase_invoices as frequency,
        monetary_gbp as monetary
    from {{ ref('int_online_retail_customers_aggregated') }}

),

smartcart_customers as (

    select
        'smartcart' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        recency_days,
        total_purchases as frequency,
        total_spend as monetary
    from {{ ref('int_smartcart_customers_imputed') }}

),

segment_rules as (

    select
        rfm_segment,
        r_score_min,
        r_score_max,
        fm_score_min,
        fm_score_max
    from {{ ref('rfm_segment_rules') }}

),

customers as (

    select * from online_retail_customers
    union all
    select * from smartcart_customers

),

scored as (

    select
        source,
        customer_id,
        recency_days,
        frequency,
        monetary,
        {{ quintile_score('recency_days', 'source', higher_is_better=false) }} as r_score,
        {{ quintile_score('frequency', 'source') }} as f_score,
        {{ quintile_score('monetary', 'source') }} as m_score
    from customers

),

named as (

    select
        scored.*,
        {{ fm_score('scored.f_score', 'scored.m_score') }} as fm_score,
        segment_rules.rfm_segment
    from scored
    left join segment_rules
        on {{ rfm_rule_matches('scored', 'segment_rules') }}

),

final as (

    select
        source,
        customer_id,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        fm_score,
        cast(r_score as {{ dbt.type_string() }})
        || cast(f_score as {{ dbt.type_string() }})
        || cast(m_score as {{ dbt.type_string() }}) as rfm_cell,
        rfm_segment
    from named

)

select * from final
