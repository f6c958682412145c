with

fits as (

    select
        source,
        model_version,
        model_selection
    from {{ ref('fit_segmentation') }}

),

candidates as (

    select
        source,
        model_version,
        {{ unnest_rows('model_selection') }}
    from fits

),

final as (

    select
        source,
        cast(k as {{ dbt.type_int() }}) as k,
        algorithm,
        inertia,
        silhouette,
        calinski_harabasz,
        davies_bouldin,
        stability,
        min_segment_share,
        cast(n_evaluated as {{ dbt.type_bigint() }}) as customers_evaluated,
        is_chosen,
        choice_reason,
        model_version
    from candidates

)

select * from final
