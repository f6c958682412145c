{#
    Every customer of both customer marts, once, with why the value models cannot take it as
    an input when they cannot (input_exclusion; NULL for the customers they score): the one
    place the rule lives. SmartCart: left out of the segmentation fit as implausible, no
    purchases, or a last purchase before the enrolment (its two dates disagree). Every retailer
    customer of the mart has a purchase that counts, so none is excluded.
#}

with

online_retail_customers as (

    select customer_id
    from {{ ref('online_retail_customers') }}

),

smartcart_customers as (

    select
        customer_id,
        total_purchases,
        tenure_days,
        recency_days
    from {{ ref('smartcart_customers') }}

),

smartcart_exclusions as (

    select
        customer_id,
        is_excluded_from_fit
    from {{ ref('customer_features_smartcart') }}

),

final as (

    select
        'online_retail' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as input_exclusion
    from online_retail_customers
    union all
    select
        'smartcart' as source,
        cast(smartcart_customers.customer_id as {{ dbt.type_string() }}) as customer_id,
        case
            when smartcart_exclusions.is_excluded_from_fit then 'excluded_implausible'
            when smartcart_customers.total_purchases <= 0 then 'no_purchases'
            when smartcart_customers.recency_days > smartcart_customers.tenure_days
                then 'last_purchase_before_enrolment'
        end as input_exclusion
    from smartcart_customers
    inner join smartcart_exclusions
        on smartcart_customers.customer_id = smartcart_exclusions.customer_id

)

select * from final
