{# Per segment of the model: fitted customers, their share, and the outlier distance threshold. #}

with

fits as (

    select
        source,
        model_version,
        model_segments
    from {{ ref('fit_segmentation') }}

),

segments as (

    select
        source,
        model_version,
        {{ unnest_rows('model_segments') }}
    from fits

),

final as (

    select
        source,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(n_fitted as {{ dbt.type_bigint() }}) as fitted_customers,
        share_of_fitted,
        outlier_distance_threshold,
        order_feature,
        order_value,
        model_version
    from segments

)

select * from final
