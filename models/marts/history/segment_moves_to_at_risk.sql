{#
    Who moved from a high-value RFM segment to an at-risk one since the previous point of the
    history (seed rfm_segment_rules, column lifecycle_stage): one row per such customer at the
    latest point, with both segments, their cluster segment, the figures that moved, and the
    churn risk and predicted value of customer_value: the list to call first.
#}

with

history as (

    select
        source,
        customer_id,
        as_of_date,
        previous_as_of_date,
        is_latest,
        segment_id,
        segment_name,
        rfm_segment,
        lifecycle_stage,
        recency_days,
        frequency,
        monetary_gbp
    from {{ ref('customer_segment_history') }}

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

final as (

    select
        latest.source,
        latest.customer_id,
        latest.previous_as_of_date,
        latest.as_of_date,
        previous.rfm_segment as from_rfm_segment,
        latest.rfm_segment as to_rfm_segment,
        latest.segment_id,
        latest.segment_name,
        previous.recency_days as previous_recency_days,
        latest.recency_days,
        latest.frequency,
        latest.monetary_gbp,
        customer_value.churn_risk,
        customer_value.probability_no_purchase,
        customer_value.predicted_value
    from history as latest
    inner join history as previous
        on
            latest.source = previous.source
            and latest.customer_id = previous.customer_id
            and latest.previous_as_of_date = previous.as_of_date
    left join customer_value
        on
            latest.source = customer_value.source
            and latest.customer_id = customer_value.customer_id
    where
        latest.is_latest
        and previous.lifecycle_stage = 'high_value'
        and latest.lifecycle_stage = 'at_risk'

)

select * from final
