with

assignments as (

    select * from {{ ref('fit_customer_segments') }}

),

profiles as (

    select
        source,
        segment_id,
        segment_name
    from {{ ref('segment_profiles') }}

),

final as (

    select
        assignments.source,
        assignments.customer_id,
        cast(assignments.segment_id as {{ dbt.type_int() }}) as segment_id,
        profiles.segment_name,
        cast(assignments.distance_to_centroid as {{ type_double() }}) as distance_to_centroid,
        cast(assignments.margin_to_next_centroid as {{ type_double() }}) as margin_to_next_centroid,
        assignments.is_outlier,
        assignments.is_excluded_from_fit,
        assignments.model_version
    from assignments
    inner join profiles
        on
            assignments.source = profiles.source
            and assignments.segment_id = profiles.segment_id

)

select * from final
