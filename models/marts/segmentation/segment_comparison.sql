with

comparison as (

    select * from {{ ref('fit_segment_comparison') }}

),

final as (

    select
        source,
        clustering_a,
        clustering_b,
        cast(k as {{ dbt.type_int() }}) as k,
        cast(n_customers_compared as {{ dbt.type_bigint() }}) as customers_compared,
        cast(adjusted_rand_index as {{ type_double() }}) as adjusted_rand_index,
        model_version
    from comparison

)

select * from final
