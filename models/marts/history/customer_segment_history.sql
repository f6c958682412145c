{#
    The retailer’s customers at every as-of point of the history (var segment_history_period;
    the last point is the as-of date): each customer’s RFM segment at that point (scored
    within the point’s customers, as int_customer_rfm_scored scores today’s) and cluster
    segment, scored in SQL with the current model (customer_segment_history_scores), so the
    history speaks in today’s segment ids and names. A point closes the period before it
    (period_start: the point 2011-12-01 closes November 2011). Revenue is the customer’s net
    spend added in that period. At the last point the segments are today’s (tested).
#}
{# Read per point by the transitions, the moves and BI: a table. #}
{{ config(materialized='table') }}

with

history as (

    select * from {{ ref('int_online_retail_customer_history') }}

),

scores as (

    select * from {{ ref('customer_segment_history_scores') }}

),

profiles as (

    select
        segment_id,
        segment_name
    from {{ ref('segment_profiles') }}
    where source = 'online_retail'

),

segment_rules as (

    select
        rfm_segment,
        lifecycle_stage,
        r_score_min,
        r_score_max,
        fm_score_min,
        fm_score_max
    from {{ ref('rfm_segment_rules') }}

),

rfm_scored as (

    select
        history_id,
        {{ quintile_score('recency_days', 'as_of_date', higher_is_better=false) }} as r_score,
        {{ quintile_score('frequency', 'as_of_date') }} as f_score,
        {{ quintile_score('monetary_gbp', 'as_of_date') }} as m_score
    from history

),

rfm_named as (

    select
        rfm_scored.history_id,
        segment_rules.rfm_segment,
        segment_rules.lifecycle_stage
    from rfm_scored
    left join segment_rules
        on {{ rfm_rule_matches('rfm_scored', 'segment_rules') }}

),

final as (

    select
        'online_retail' as source,
        cast(history.customer_id as {{ dbt.type_string() }}) as customer_id,
        history.as_of_date,
        cast({{ dbt.date_trunc(var('segment_history_period'), dbt.dateadd('day', -1, 'history.as_of_date')) }} as date)
            as period_start,
        lag(history.as_of_date) over (
            partition by history.customer_id order by history.as_of_date
        ) as previous_as_of_date,
        history.as_of_date = max(history.as_of_date) over () as is_latest,
        cast(scores.segment_id as {{ dbt.type_int() }}) as segment_id,
        profiles.segment_name,
        rfm_named.rfm_segment,
        rfm_named.lifecycle_stage,
        cast(history.recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(history.frequency as {{ dbt.type_int() }}) as frequency,
        cast(history.monetary_gbp as decimal(38, 2)) as monetary_gbp,
        cast(
            history.monetary_gbp - coalesce(lag(history.monetary_gbp) over (
                partition by history.customer_id order by history.as_of_date
            ), 0) as decimal(38, 2)
        ) as period_revenue_gbp,
        scores.model_version
    from history
    inner join scores
        on history.history_id = scores.history_id
    inner join profiles
        on scores.segment_id = profiles.segment_id
    inner join rfm_named
        on history.history_id = rfm_named.history_id

)

select * from final
