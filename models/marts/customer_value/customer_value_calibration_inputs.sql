{#
    The holdout evaluation’s inputs (the retailer: SmartCart is a snapshot with no later period
    to compare with). The calibration period ends var customer_value_holdout_days before the
    as-of date: one row per customer whose first purchase falls before the cut, with the value
    model inputs at the cut (the conventions of customer_value_inputs) and the purchase days
    the customer then had in the holdout (what the model should have predicted).
    T keeps pymc-marketing’s name (quoted: the library reads it as is).
#}

with

all_purchase_days as (

    select
        customer_id,
        purchase_date,
        purchase_value_gbp
    from {{ ref('int_online_retail_purchase_days') }}

),

online_retail_customers as (

    select
        customer_id,
        as_of_date,
        {{ dbt.dateadd('day', -var('customer_value_holdout_days'), 'as_of_date') }} as cut_date
    from {{ ref('online_retail_customers') }}

),

purchase_days as (

    select
        all_purchase_days.customer_id,
        all_purchase_days.purchase_date,
        all_purchase_days.purchase_value_gbp,
        cast(online_retail_customers.cut_date as date) as cut_date
    from all_purchase_days
    inner join online_retail_customers
        on all_purchase_days.customer_id = online_retail_customers.customer_id
    where all_purchase_days.purchase_date < online_retail_customers.as_of_date

),

calibration_days as (

    select
        customer_id,
        purchase_date,
        purchase_value_gbp,
        cut_date
    from purchase_days
    where purchase_date < cut_date

),

calibration as (

    {{ value_model_inputs('calibration_days', 'cut_date') }}

),

holdout as (

    select
        customer_id,
        count(*) as holdout_purchases
    from purchase_days
    where purchase_date >= cut_date
    group by customer_id

),

final as (

    select
        'online_retail' as source,
        cast(calibration.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(calibration.frequency as {{ dbt.type_int() }}) as frequency,
        cast(calibration.recency as {{ dbt.type_int() }}) as recency,
        cast(calibration.tenure as {{ dbt.type_int() }}) as "T",  -- noqa: RF06
        cast(calibration.monetary_value as {{ type_double() }}) as monetary_value,
        cast(coalesce(holdout.holdout_purchases, 0) as {{ dbt.type_int() }}) as holdout_purchases
    from calibration
    left join holdout
        on calibration.customer_id = holdout.customer_id

)

select * from final
