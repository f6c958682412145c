{# Loadings from the scaled features to model space (PCA, or the identity without PCA). #}

with

fits as (

    select
        source,
        model_version,
        projection
    from {{ ref('fit_segmentation') }}

),

loadings as (

    select
        source,
        model_version,
        {{ unnest_rows('projection') }}
    from fits

),

final as (

    select
        source,
        feature,
        cast(component as {{ dbt.type_int() }}) as component,
        loading,
        model_version
    from loadings

)

select * from final
