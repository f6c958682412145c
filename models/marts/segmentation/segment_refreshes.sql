{#
    What each refresh did to the segments, per source and snapshot (customer_segment_snapshots):
    how many customers of the previous snapshot are still customers (returning), and how many
    of them kept their segment id and their segment name. The first snapshot of a source has
    no previous one: its figures are NULL.
#}

with

snapshots as (

    select
        source,
        snapshot_number,
        as_of_date,
        model_version,
        customer_id,
        segment_id,
        segment_name
    from {{ ref('customer_segment_snapshots') }}

),

points as (

    select
        source,
        snapshot_number,
        max(as_of_date) as as_of_date,
        max(model_version) as model_version,
        count(*) as customers
    from snapshots
    group by source, snapshot_number

),

returning_customers as (

    select
        current_snapshot.source,
        current_snapshot.snapshot_number,
        count(*) as returning_customers,
        sum(case when current_snapshot.segment_id = previous_snapshot.segment_id then 1 else 0 end)
            as kept_segment_id,
        sum(case when current_snapshot.segment_name = previous_snapshot.segment_name then 1 else 0 end)
            as kept_segment_name
    from snapshots as current_snapshot
    inner join snapshots as previous_snapshot
        on
            current_snapshot.source = previous_snapshot.source
            and current_snapshot.customer_id = previous_snapshot.customer_id
            and current_snapshot.snapshot_number = previous_snapshot.snapshot_number + 1
    group by current_snapshot.source, current_snapshot.snapshot_number

),

final as (

    select
        points.source,
        cast(points.snapshot_number as {{ dbt.type_int() }}) as snapshot_number,
        points.as_of_date,
        points.model_version,
        previous_points.as_of_date as previous_as_of_date,
        previous_points.model_version as previous_model_version,
        cast(points.customers as {{ dbt.type_bigint() }}) as customers,
        cast(returning_customers.returning_customers as {{ dbt.type_bigint() }}) as returning_customers,
        cast(returning_customers.kept_segment_id as {{ dbt.type_bigint() }}) as kept_segment_id,
        cast(returning_customers.kept_segment_name as {{ dbt.type_bigint() }}) as kept_segment_name,
        {{ share_of('returning_customers.kept_segment_id', 'returning_customers.returning_customers') }}
            as kept_segment_id_share,
        {{ share_of('returning_customers.kept_segment_name', 'returning_customers.returning_customers') }}
            as kept_segment_name_share
    from points
    left join points as previous_points
        on
            points.source = previous_points.source
            and points.snapshot_number = previous_points.snapshot_number + 1
    left join returning_customers
        on
            points.source = returning_customers.source
            and points.snapshot_number = returning_customers.snapshot_number

)

select * from final
