{# The centre of each segment per feature: scaled, back in original units, and the plain member mean. #}

with

fits as (

    select
        source,
        model_version,
        centroids
    from {{ ref('fit_segmentation') }}

),

centroids as (

    select
        source,
        model_version,
        {{ unnest_rows('centroids') }}
    from fits

),

final as (

    select
        source,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        feature,
        center_scaled,
        center_original,
        mean_original,
        model_version
    from centroids

)

select * from final
