{#
    Every build’s segments kept: one row per customer per snapshot, a snapshot being a source’s
    as-of date and model version. A rebuild of the same data replaces its own snapshot; a
    refresh (a later as-of date, or another model) adds one, numbered in build order. So
    migrations between builds can be read for any source, SmartCart’s snapshots included.
    full_refresh is off: `dbt build --full-refresh` keeps the history.
#}

{#- Spark (Parquet tables, no delete): a build overwrites its own (source, snapshot) partitions, the same rows. #}
{{ config(
    materialized='incremental',
    unique_key=['source', 'as_of_date', 'model_version', 'customer_id'],
    incremental_strategy='insert_overwrite' if target.type == 'spark' else 'delete+insert',
    partition_by=['source', 'snapshot_number'] if target.type == 'spark' else none,
    full_refresh=false,
    on_schema_change='fail',
) }}

with

segments as (

    select
        source,
        customer_id,
        segment_id,
        segment_name,
        model_version
    from {{ ref('customer_segments') }}

),

online_retail_as_of as (

    select max(as_of_date) as as_of_date
    from {{ ref('online_retail_customers') }}

),

smartcart_as_of as (

    select max(reference_date) as as_of_date
    from {{ ref('smartcart_customers') }}

),

as_of_dates as (

    select
        'online_retail' as source,
        as_of_date
    from online_retail_as_of
    union all
    select
        'smartcart' as source,
        as_of_date
    from smartcart_as_of

),

points as (

    select distinct
        segments.source,
        as_of_dates.as_of_date,
        segments.model_version
    from segments
    inner join as_of_dates
        on segments.source = as_of_dates.source

),

{% if is_incremental() %}
known_points as (

    select
        source,
        as_of_date,
        model_version,
        max(snapshot_number) as snapshot_number
    from {{ this }}
    group by source, as_of_date, model_version

),

last_numbers as (

    select
        source,
        max(snapshot_number) as snapshot_number
    from known_points
    group by source

),
{% endif %}

numbered as (

    select
        points.source,
        points.as_of_date,
        points.model_version,
        {% if is_incremental() %}
            coalesce(known_points.snapshot_number, coalesce(last_numbers.snapshot_number, 0) + 1)
        {% else %}
            1
        {% endif %} as snapshot_number
    from points
    {% if is_incremental() %}
    left join known_points
        on
            points.source = known_points.source
            and points.as_of_date = known_points.as_of_date
            and points.model_version = known_points.model_version
    left join last_numbers
        on points.source = last_numbers.source
    {% endif %}

),

final as (

    select
        segments.source,
        numbered.snapshot_number,
        numbered.as_of_date,
        segments.model_version,
        segments.customer_id,
        segments.segment_id,
        segments.segment_name
    from segments
    inner join numbered
        on
            segments.source = numbered.source
            and segments.model_version = numbered.model_version

)

select * from final
