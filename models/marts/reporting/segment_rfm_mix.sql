{#
    How the customers of each segment spread over the named RFM segments (seed
    rfm_segment_rules): one row per segment and RFM segment that has customers in it, with
    the customers and their share of the segment, most customers first.
#}

with

segments as (

    select
        source,
        customer_id,
        segment_id
    from {{ ref('customer_segments') }}

),

online_retail_customers as (

    select
        customer_id,
        rfm_segment
    from {{ ref('online_retail_customers') }}

),

smartcart_customers as (

    select
        customer_id,
        rfm_segment
    from {{ ref('smartcart_customers') }}

),

rfm_segments as (

    select
        'online_retail' as source,
        customer_id,
        rfm_segment
    from online_retail_customers
    union all
    select
        'smartcart' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        rfm_segment
    from smartcart_customers

),

counts as (

    select
        segments.source,
        segments.segment_id,
        rfm_segments.rfm_segment,
        count(*) as customers
    from segments
    inner join rfm_segments
        on
            segments.source = rfm_segments.source
            and segments.customer_id = rfm_segments.customer_id
    group by segments.source, segments.segment_id, rfm_segments.rfm_segment

),

final as (

    select
        source,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        rfm_segment,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(
            {{ share_of('customers', 'sum(customers) over (partition by source, segment_id)') }}
            as {{ type_double() }}
        ) as share_of_segment,
        cast(
            row_number() over (
                partition by source, segment_id order by customers desc, rfm_segment asc
            ) as {{ dbt.type_int() }}
        ) as rfm_rank
    from counts

)

select * from final
