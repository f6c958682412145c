with

fits as (

    select
        source,
        model_version,
        id_matching
    from {{ ref('fit_segmentation') }}

),

matching as (

    select
        source,
        model_version,
        {{ unnest_rows('id_matching') }}
    from fits

),

final as (

    select
        source,
        cast(new_segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(previous_segment_id as {{ dbt.type_int() }}) as previous_segment_id,
        centroid_distance,
        decision,
        model_version
    from matching

)

select * from final
