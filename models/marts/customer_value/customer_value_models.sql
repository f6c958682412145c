{# One row per source: the fitted value models in brief, with their parameters as text. #}

with

fits as (

    select
        source,
        status,
        model_version,
        transaction_model,
        horizon_days,
        value_months,
        monthly_discount_rate,
        customers,
        repeat_customers,
        fitted_customers,
        parameters,
        warnings
    from {{ ref('fit_customer_value') }}
    where fit = 'full_history'

),

parameters as (

    select
        source,
        {{ unnest_rows('parameters') }}
    from fits

),

parameter_text as (

    select
        source,
        {{ dbt.listagg(
            "model || '.' || parameter || ' = ' || cast(round(value, 4) as " ~ dbt.type_string() ~ ")",
            "', '",
            "order by model, parameter"
        ) }} as fitted_parameters
    from parameters
    group by source

),

final as (

    select
        fits.source,
        fits.status,
        fits.model_version,
        fits.transaction_model,
        cast(fits.horizon_days as {{ dbt.type_int() }}) as horizon_days,
        cast(fits.value_months as {{ dbt.type_int() }}) as value_months,
        fits.monthly_discount_rate,
        cast(fits.customers as {{ dbt.type_bigint() }}) as customers,
        cast(fits.repeat_customers as {{ dbt.type_bigint() }}) as repeat_customers,
        cast(fits.fitted_customers as {{ dbt.type_bigint() }}) as fitted_customers,
        parameter_text.fitted_parameters,
        cast({{ list_length('fits.warnings') }} as {{ dbt.type_int() }}) as warning_count,
        {{ join_list('fits.warnings', '; ') }} as warnings
    from fits
    left join parameter_text
        on fits.source = parameter_text.source

)

select * from final
