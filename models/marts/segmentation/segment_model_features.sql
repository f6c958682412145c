{# The fitted preprocessing, one row per feature of the model: what predict_segment replays. #}

with

fits as (

    select
        source,
        model_version,
        preprocessing
    from {{ ref('fit_segmentation') }}

),

features as (

    select
        source,
        model_version,
        {{ unnest_rows('preprocessing') }}
    from fits

),

final as (

    select
        source,
        feature,
        cast(position as {{ dbt.type_int() }}) as feature_position,
        transform,
        fill_value,
        center,
        scale,
        pca_mean,
        model_version
    from features

)

select * from final
