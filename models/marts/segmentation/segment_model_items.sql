{# The item-pattern SVD loadings per item (sources whose model uses the item pattern). #}

with

fits as (

    select
        source,
        model_version,
        item_components
    from {{ ref('fit_segmentation') }}

),

loadings as (

    select
        source,
        model_version,
        {{ unnest_rows('item_components') }}
    from fits

),

final as (

    select
        source,
        feature,
        item,
        loading,
        model_version
    from loadings

)

select * from final
