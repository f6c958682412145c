with

centroids as (

    select * from {{ ref('fit_segment_centroids') }}

),

final as (

    select
        source,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        feature,
        cast(center_scaled as {{ type_double() }}) as center_scaled,
        cast(center_original as {{ type_double() }}) as center_original,
        cast(mean_original as {{ type_double() }}) as mean_original,
        model_version
    from centroids

)

select * from final
