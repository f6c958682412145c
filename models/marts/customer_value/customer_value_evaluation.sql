{#
    The value models’ proof, per source and predictor: the model fitted on the calibration
    period against the naive baseline (calibration purchase rate times the holdout length),
    on the purchases of the holdout (the holdout rows of fit_customer_value).
#}

with

evaluations as (

    select
        source,
        status,
        model_version,
        horizon_days,
        metrics
    from {{ ref('fit_customer_value') }}
    where fit = 'holdout'

),

metrics as (

    select
        source,
        status,
        model_version,
        horizon_days,
        {{ unnest_rows('metrics') }}
    from evaluations

),

final as (

    select
        source,
        predictor,
        status,
        cast(horizon_days as {{ dbt.type_int() }}) as holdout_days,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        mae,
        rmse,
        correlation,
        total_predicted,
        total_actual,
        no_return_auc,
        no_return_auc_probability_active,
        model_version
    from metrics

)

select * from final
