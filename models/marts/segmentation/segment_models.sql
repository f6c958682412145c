{#
    One row per source: the fitted segmentation model in brief (status, version, algorithm,
    the chosen k and why, the structure verdict, customers, features and warnings).
#}

with

fits as (

    select
        source,
        status,
        model_version,
        algorithm,
        backend,
        segments,
        chosen_k,
        choice_reason,
        is_k_rule_fallback,
        silhouette,
        stability,
        null_silhouette_mean,
        null_silhouette_std,
        structure_verdict,
        structure_detail,
        customers,
        fitted_customers,
        features,
        dropped_features,
        warnings
    from {{ ref('fit_segmentation') }}

),

final as (

    select
        source,
        status,
        model_version,
        algorithm,
        backend,
        cast(segments as {{ dbt.type_int() }}) as segments,
        cast(chosen_k as {{ dbt.type_int() }}) as chosen_k,
        choice_reason,
        is_k_rule_fallback,
        silhouette,
        stability,
        null_silhouette_mean,
        null_silhouette_std,
        structure_verdict,
        structure_detail,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(fitted_customers as {{ dbt.type_bigint() }}) as fitted_customers,
        {{ join_list('features', ', ') }} as features,
        {{ join_list('dropped_features', ', ') }} as dropped_features,
        cast({{ list_length('warnings') }} as {{ dbt.type_int() }}) as warning_count,
        {{ join_list('warnings', '; ') }} as warnings
    from fits

)

select * from final
