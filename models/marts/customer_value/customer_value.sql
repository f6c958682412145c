{#
    One row per customer of both customer marts: the value models’ inputs and predictions (the
    probability of still being a customer, of no purchase and the purchases expected over the
    horizon, the expected spend per purchase, the predicted value), the churn-risk band, and
    why a customer has no predictions when it has none (docs/customer_value.md).
    T keeps pymc-marketing’s name (quoted: the library reads it as is).
#}

with

inputs as (

    select
        source,
        customer_id,
        frequency,
        recency,
        "T" as tenure,  -- noqa: RF06
        monetary_value
    from {{ ref('customer_value_inputs') }}

),

fits as (

    select
        source,
        model_version,
        horizon_days,
        predictions
    from {{ ref('fit_customer_value') }}
    where fit = 'full_history'

),

customers as (

    select
        source,
        customer_id,
        input_exclusion
    from {{ ref('customer_value_customers') }}

),

predictions as (

    select
        source,
        model_version,
        horizon_days,
        {{ unnest_rows('predictions') }}
    from fits

),

model_versions as (

    select
        source,
        model_version,
        horizon_days
    from fits

),

final as (

    select
        customers.source,
        customers.customer_id,
        cast(inputs.frequency as {{ dbt.type_int() }}) as repeat_purchases,
        cast(inputs.recency as {{ dbt.type_int() }}) as recency_days,
        cast(inputs.tenure as {{ dbt.type_int() }}) as tenure_days,
        inputs.monetary_value as repeat_purchase_value,
        predictions.probability_active,
        predictions.probability_no_purchase,
        predictions.expected_purchases,
        predictions.expected_spend,
        predictions.predicted_value,
        case
            when predictions.probability_no_purchase >= {{ var('customer_value_high_risk_min') }} then 'high'
            when predictions.probability_no_purchase >= {{ var('customer_value_medium_risk_min') }} then 'medium'
            when predictions.probability_no_purchase is not null then 'low'
            else 'unknown'
        end as churn_risk,
        coalesce(customers.input_exclusion, predictions.value_status, 'not_fitted') as value_status,
        cast(model_versions.horizon_days as {{ dbt.type_int() }}) as horizon_days,
        model_versions.model_version
    from customers
    left join inputs
        on
            customers.source = inputs.source
            and customers.customer_id = inputs.customer_id
    left join predictions
        on
            customers.source = predictions.source
            and customers.customer_id = predictions.customer_id
    left join model_versions
        on customers.source = model_versions.source

)

select * from final
