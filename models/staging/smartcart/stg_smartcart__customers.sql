{# Built only once the file’s columns passed their checks (the build stops there otherwise). #}
-- depends_on: {{ ref('base_smartcart__column_checks') }}

with

customers as (

    select
        customer_id,
        birth_year,
        education_raw,
        marital_status_raw,
        income,
        kids_at_home,
        teens_at_home,
        enrolled_date,
        recency_days,
        wines_amount,
        fruits_amount,
        meat_amount,
        fish_amount,
        sweets_amount,
        gold_amount,
        deals_purchases,
        web_purchases,
        catalog_purchases,
        store_purchases,
        web_visits_last_month,
        complain_flag,
        response_flag
    from {{ ref('base_smartcart__customers') }}
    where rejection_reason is null

),

categorised as (

    select
        *,
        case lower(education_raw)
            when 'basic' then 'basic'
            when '2n cycle' then 'graduate'
            when 'graduation' then 'graduate'
            when 'master' then 'graduate'
            when 'phd' then 'doctorate'
            else 'unknown'
        end as education_level,
        case lower(marital_status_raw)
            when 'married' then 'married'
            when 'together' then 'together'
            when 'single' then 'single'
            when 'alone' then 'single'
            when 'divorced' then 'divorced'
            when 'widow' then 'widowed'
            else 'unknown'
        end as marital_status
    from customers

),

final as (

    select
        customer_id,
        birth_year,
        education_raw,
        education_level,
        marital_status_raw,
        marital_status,
        marital_status in ('married', 'together') as is_living_with_partner,
        income,
        kids_at_home,
        teens_at_home,
        enrolled_date,
        recency_days,
        wines_amount,
        fruits_amount,
        meat_amount,
        fish_amount,
        sweets_amount,
        gold_amount,
        cast(
            wines_amount + fruits_amount + meat_amount + fish_amount + sweets_amount + gold_amount as decimal(18, 2)
        ) as total_spend,
        deals_purchases,
        web_purchases,
        catalog_purchases,
        store_purchases,
        deals_purchases + web_purchases + catalog_purchases + store_purchases as total_purchases,
        web_visits_last_month,
        complain_flag = 1 as has_complained,
        response_flag = 1 as has_responded,
        income is null as is_income_missing,
        birth_year < {{ var('smartcart_earliest_plausible_birth_year') }} as is_birth_year_implausible,
        coalesce(income > {{ var('smartcart_max_plausible_income') }}, false) as is_income_implausible
    from categorised

)

select * from final
