with

candidates as (

    select * from {{ ref('fit_segment_model_selection') }}

),

final as (

    select
        source,
        cast(k as {{ dbt.type_int() }}) as k,
        algorithm,
        cast(inertia as {{ type_double() }}) as inertia,
        cast(silhouette as {{ type_double() }}) as silhouette,
        cast(calinski_harabasz as {{ type_double() }}) as calinski_harabasz,
        cast(davies_bouldin as {{ type_double() }}) as davies_bouldin,
        cast(stability as {{ type_double() }}) as stability,
        cast(min_segment_share as {{ type_double() }}) as min_segment_share,
        cast(n_evaluated as {{ dbt.type_bigint() }}) as customers_evaluated,
        is_chosen,
        choice_reason,
        model_version
    from candidates

)

select * from final
