{#
    How customers moved between segments from one as-of point of the history to the next:
    one row per point, kind of segment (cluster: the fitted segments in today’s ids; rfm: the
    named RFM segments), segment at the previous point and segment at this one, with the
    customers who made that move and the revenue they brought in the period. Customers whose
    first purchase falls in the period come from 'new customer' (no previous segment).
#}

with

history as (

    select
        source,
        customer_id,
        as_of_date,
        period_start,
        previous_as_of_date,
        segment_id,
        segment_name,
        rfm_segment,
        period_revenue_gbp
    from {{ ref('customer_segment_history') }}

),

points as (

    select
        source,
        as_of_date,
        period_start,
        lag(as_of_date) over (partition by source order by as_of_date) as previous_as_of_date
    from (select distinct
        source,
        as_of_date,
        period_start
    from history) as distinct_points

),

moves as (

    select
        current_point.source,
        current_point.as_of_date,
        'cluster' as segment_kind,
        previous_point.segment_id as from_segment_id,
        coalesce(previous_point.segment_name, 'new customer') as from_segment,
        current_point.segment_id as to_segment_id,
        current_point.segment_name as to_segment,
        current_point.period_revenue_gbp
    from history as current_point
    left join history as previous_point
        on
            current_point.source = previous_point.source
            and current_point.customer_id = previous_point.customer_id
            and current_point.previous_as_of_date = previous_point.as_of_date
    union all
    select
        current_point.source,
        current_point.as_of_date,
        'rfm' as segment_kind,
        null as from_segment_id,
        coalesce(previous_point.rfm_segment, 'new customer') as from_segment,
        null as to_segment_id,
        current_point.rfm_segment as to_segment,
        current_point.period_revenue_gbp
    from history as current_point
    left join history as previous_point
        on
            current_point.source = previous_point.source
            and current_point.customer_id = previous_point.customer_id
            and current_point.previous_as_of_date = previous_point.as_of_date

),

final as (

    select
        moves.source,
        moves.as_of_date,
        points.period_start,
        points.previous_as_of_date,
        moves.segment_kind,
        cast(moves.from_segment_id as {{ dbt.type_int() }}) as from_segment_id,
        moves.from_segment,
        cast(moves.to_segment_id as {{ dbt.type_int() }}) as to_segment_id,
        moves.to_segment,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        cast(sum(moves.period_revenue_gbp) as decimal(38, 2)) as revenue_gbp,
        cast(moves.from_segment = moves.to_segment as boolean) as is_same_segment
    from moves
    inner join points
        on
            moves.source = points.source
            and moves.as_of_date = points.as_of_date
    group by
        moves.source,
        moves.as_of_date,
        points.period_start,
        points.previous_as_of_date,
        moves.segment_kind,
        moves.from_segment_id,
        moves.from_segment,
        moves.to_segment_id,
        moves.to_segment

)

select * from final
