{# The centre of each segment in model space, one row per coordinate: what customers are scored against. #}

with

fits as (

    select
        source,
        model_version,
        model_centroids
    from {{ ref('fit_segmentation') }}

),

centres as (

    select
        source,
        model_version,
        {{ unnest_rows('model_centroids') }}
    from fits

),

final as (

    select
        source,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(component as {{ dbt.type_int() }}) as component,
        center,
        model_version
    from centres

)

select * from final
