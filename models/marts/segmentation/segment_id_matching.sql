with

matching as (

    select * from {{ ref('fit_segment_id_matching') }}

),

final as (

    select
        source,
        cast(new_segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(previous_segment_id as {{ dbt.type_int() }}) as previous_segment_id,
        cast(centroid_distance as {{ type_double() }}) as centroid_distance,
        decision,
        model_version
    from matching

)

select * from final
