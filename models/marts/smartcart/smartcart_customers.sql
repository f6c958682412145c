with

customers as (

    select * from {{ ref('int_smartcart_customers_imputed') }}

),

rfm as (

    select
        customer_id,
        r_score,
        f_score,
        m_score,
        fm_score,
        rfm_cell,
        rfm_segment
    from {{ ref('int_customer_rfm_scored') }}
    where source = 'smartcart'

),

reference as (

    select {{ reference_date('smartcart_reference_date', 'max(enrolled_date)') }} as reference_date
    from customers

),

final as (

    select
        customers.customer_id,
        reference.reference_date,
        customers.birth_year,
        cast(extract(year from reference.reference_date) - customers.birth_year as {{ dbt.type_int() }}) as age_years,
        customers.education_raw,
        customers.education_level,
        customers.marital_status_raw,
        customers.marital_status,
        customers.is_living_with_partner,
        customers.kids_at_home,
        customers.teens_at_home,
        customers.kids_at_home + customers.teens_at_home as children_at_home,
        customers.income_imputed as income,
        customers.is_income_imputed,
        customers.enrolled_date,
        cast({{ dbt.datediff('customers.enrolled_date', 'reference.reference_date', 'day') }} as {{ dbt.type_int() }}) as tenure_days,  -- noqa: LT05
        customers.recency_days,
        cast(customers.total_spend as decimal(18, 2)) as total_spend,
        customers.total_purchases,
        customers.web_visits_last_month,
        customers.has_complained,
        customers.has_responded,
        customers.is_birth_year_implausible,
        customers.is_income_implausible,
        customers.is_birth_year_implausible or customers.is_income_implausible as is_implausible,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.fm_score,
        rfm.rfm_cell,
        rfm.rfm_segment
    from customers
    inner join rfm
        on cast(customers.customer_id as {{ dbt.type_string() }}) = rfm.customer_id
    cross join reference

)

select * from final
