{#
    The value models’ inputs, one row per customer the models can score, per the library’s
    conventions (days): frequency = repeat purchases, recency = first to last purchase,
    T = first purchase to the as-of date, monetary_value = mean value of the repeat purchases.

    Retailer: one purchase per customer and day with invoices that count
    (int_online_retail_purchase_days), before the as-of date.
    SmartCart: a snapshot, so an approximation (docs/customer_value.md): the first purchase is
    the enrolment, frequency = purchases - 1, T = days since enrolment, recency = T - days
    since the last purchase, monetary_value = spend / purchases. Customers it cannot describe
    are left out (their reason: customer_value_customers).
    T keeps pymc-marketing’s name (quoted: the library reads it as is).
#}

with

purchase_days as (

    select
        customer_id,
        purchase_date,
        purchase_value_gbp
    from {{ ref('int_online_retail_purchase_days') }}

),

online_retail_customers as (

    select
        customer_id,
        as_of_date
    from {{ ref('online_retail_customers') }}

),

smartcart_customers as (

    select
        customer_id,
        total_purchases,
        total_spend,
        tenure_days,
        recency_days
    from {{ ref('smartcart_customers') }}

),

smartcart_candidates as (

    select customer_id
    from {{ ref('customer_value_customers') }}
    where source = 'smartcart' and input_exclusion is null

),

retail_days as (

    select
        purchase_days.customer_id,
        purchase_days.purchase_date,
        purchase_days.purchase_value_gbp,
        online_retail_customers.as_of_date
    from purchase_days
    inner join online_retail_customers
        on purchase_days.customer_id = online_retail_customers.customer_id
    where purchase_days.purchase_date < online_retail_customers.as_of_date

),

online_retail_inputs as (

    {{ value_model_inputs('retail_days', 'as_of_date') }}

),

smartcart_inputs as (

    select
        smartcart_customers.customer_id,
        smartcart_customers.tenure_days as tenure,
        smartcart_customers.total_purchases - 1 as frequency,
        case
            when smartcart_customers.total_purchases > 1
                then smartcart_customers.tenure_days - smartcart_customers.recency_days
            else 0
        end as recency,
        smartcart_customers.total_spend / smartcart_customers.total_purchases as monetary_value
    from smartcart_customers
    inner join smartcart_candidates
        on cast(smartcart_customers.customer_id as {{ dbt.type_string() }}) = smartcart_candidates.customer_id

),

final as (

    select
        'online_retail' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast(recency as {{ dbt.type_int() }}) as recency,
        cast(tenure as {{ dbt.type_int() }}) as "T",  -- noqa: RF06
        cast(monetary_value as {{ type_double() }}) as monetary_value
    from online_retail_inputs
    union all
    select
        'smartcart' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast(recency as {{ dbt.type_int() }}) as recency,
        cast(tenure as {{ dbt.type_int() }}) as "T",  -- noqa: RF06
        cast(monetary_value as {{ type_double() }}) as monetary_value
    from smartcart_inputs

)

select * from final
