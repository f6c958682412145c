{#
    Churn risk and predicted value by segment, one row per segment of both sources: the
    customers in each churn-risk band (customer_value) and the value the segment’s customers
    are predicted to bring, in the source’s currency. Read by the segment report, the
    campaign lists and the docs pictures. Sums are exact (macro repeatable_sum), so the
    same customers give the same bits on every build.
#}
{# Not on Spark: reads customer_value (DuckDB only). #}
{{ config(enabled=target.type != 'spark') }}

with

segments as (

    select
        source,
        customer_id,
        segment_id
    from {{ ref('customer_segments') }}

),

profiles as (

    select
        source,
        segment_id,
        segment_name
    from {{ ref('segment_profiles') }}

),

customer_value as (

    select
        source,
        customer_id,
        churn_risk,
        expected_purchases,
        predicted_value
    from {{ ref('customer_value') }}

),

final as (

    select
        profiles.source,
        profiles.segment_id,
        profiles.segment_name,
        cast(count(segments.customer_id) as {{ dbt.type_bigint() }}) as customers,
        {%- for band in ['high', 'medium', 'low', 'unknown'] %}
            cast(count(*) filter (where customer_value.churn_risk = '{{ band }}') as {{ dbt.type_bigint() }}) as {{ band }}_risk_customers,  -- noqa: LT05
        {%- endfor %}
        cast(count(*) filter (where customer_value.churn_risk = 'high') as {{ type_double() }})
        / nullif(count(segments.customer_id), 0) as high_risk_share,
        {{ repeatable_sum('customer_value.expected_purchases') }} as expected_purchases,
        {{ repeatable_sum('customer_value.predicted_value') }} as predicted_value,
        {{ repeatable_sum('customer_value.predicted_value') }}
        / nullif(count(customer_value.predicted_value), 0) as average_predicted_value
    from profiles
    left join segments
        on
            profiles.source = segments.source
            and profiles.segment_id = segments.segment_id
    left join customer_value
        on
            segments.source = customer_value.source
            and segments.customer_id = customer_value.customer_id
    group by profiles.source, profiles.segment_id, profiles.segment_name

)

select * from final
