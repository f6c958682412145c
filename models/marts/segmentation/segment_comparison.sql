with

fits as (

    select
        source,
        model_version,
        comparison
    from {{ ref('fit_segmentation') }}

),

comparisons as (

    select
        source,
        model_version,
        {{ unnest_rows('comparison') }}
    from fits

),

final as (

    select
        source,
        clustering_a,
        clustering_b,
        cast(k as {{ dbt.type_int() }}) as k,
        cast(n_customers_compared as {{ dbt.type_bigint() }}) as customers_compared,
        adjusted_rand_index,
        model_version
    from comparisons

)

select * from final
