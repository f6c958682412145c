{#
    The segment history ends at today: at its last point every customer of the retailer's
    customer mart is there, once, with today's cluster segment (customer_segments) and RFM
    segment (online_retail_customers), and no one else. Fails with one row per customer that
    differs, with what differs.
#}
{# Not on Spark: the segment history is DuckDB only. #}
{{ config(enabled=target.type != 'spark') }}

with

latest as (

    select
        customer_id,
        segment_id,
        rfm_segment
    from {{ ref('customer_segment_history') }}
    where is_latest

),

today as (

    select
        customers.customer_id,
        segments.segment_id,
        customers.rfm_segment
    from {{ ref('online_retail_customers') }} as customers
    left join {{ ref('customer_segments') }} as segments
        on
            segments.source = 'online_retail'
            and cast(customers.customer_id as {{ dbt.type_string() }}) = segments.customer_id

),

final as (

    select
        coalesce(cast(today.customer_id as {{ dbt.type_string() }}), latest.customer_id) as customer_id,
        case
            when latest.customer_id is null then 'missing from the history at the last point'
            when today.customer_id is null then 'in the history but not a customer today'
            when today.segment_id <> latest.segment_id then 'another cluster segment than today'
            else 'another RFM segment than today'
        end as problem
    from today
    full outer join latest
        on cast(today.customer_id as {{ dbt.type_string() }}) = latest.customer_id
    where
        latest.customer_id is null
        or today.customer_id is null
        or today.segment_id is distinct from latest.segment_id
        or today.rfm_segment is distinct from latest.rfm_segment

)

select * from final
