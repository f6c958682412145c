{# Per customer of the holdout evaluation: predicted, baseline and actual holdout purchases. #}

with

evaluations as (

    select
        source,
        model_version,
        customer_results
    from {{ ref('fit_customer_value') }}
    where fit = 'holdout'

),

results as (

    select
        source,
        model_version,
        {{ unnest_rows('customer_results') }}
    from evaluations

),

final as (

    select
        source,
        customer_id,
        predicted_purchases,
        baseline_purchases,
        actual_purchases,
        probability_no_purchase,
        model_version
    from results

)

select * from final
