{#
    The churn-risk bands of segment_value_summary add up to the segment's customers, and
    the segments' customers to the source's customers in customer_value. Fails with one row
    per segment or source that does not.
#}
{# Not on Spark: customer_value is DuckDB only. #}
{{ config(enabled=target.type != 'spark') }}

with

segments as (

    select
        source,
        segment_id,
        customers,
        high_risk_customers + medium_risk_customers + low_risk_customers + unknown_risk_customers
            as banded_customers
    from {{ ref('segment_value_summary') }}

),

sources as (

    select
        source,
        count(*) as customers
    from {{ ref('customer_value') }}
    group by source

),

summed as (

    select
        source,
        sum(customers) as customers
    from segments
    group by source

),

final as (

    select
        source,
        cast(segment_id as {{ dbt.type_string() }}) as segment,
        'bands do not add up to the segment' as problem
    from segments
    where banded_customers <> customers
    union all
    select
        sources.source,
        'all' as segment,
        'segments do not add up to the source' as problem
    from sources
    left join summed
        on sources.source = summed.source
    where summed.customers is distinct from sources.customers

)

select * from final
