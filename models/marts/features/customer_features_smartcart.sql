{#
    The numbers the clusterer reads for SmartCart, one row per customer, plus the flag
    that keeps implausible customers out of fitting (they are still assigned a segment).
    Units and intended transformations are in the YAML; the transformations themselves
    (log1p, scaling) happen in the segmentation package, from configuration.
#}

with

customers as (

    select
        customer_id,
        income,
        age_years,
        tenure_days,
        recency_days,
        total_spend,
        total_purchases,
        web_visits_last_month,
        children_at_home,
        is_living_with_partner,
        has_responded,
        is_birth_year_implausible,
        is_income_implausible
    from {{ ref('smartcart_customers') }}

),

mix as (

    select * from {{ ref('smartcart_customer_mix') }}

),

final as (

    select
        cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
        {{ feature('customers.income') }} as income,
        {{ feature('customers.age_years') }} as age_years,
        {{ feature('customers.tenure_days') }} as tenure_days,
        {{ feature('customers.recency_days') }} as recency_days,
        {{ feature('customers.total_spend') }} as total_spend,
        {{ feature('customers.total_purchases') }} as total_purchases,
        {{ feature('customers.web_visits_last_month') }} as web_visits_last_month,
        {{ feature('customers.children_at_home') }} as children_at_home,
        {{ feature('case when customers.is_living_with_partner then 1 else 0 end') }} as lives_with_partner,
        {{ feature('case when customers.has_responded then 1 else 0 end') }} as responded_to_campaign,
        {%- for category in ['wines', 'fruits', 'meat', 'fish', 'sweets', 'gold'] %}
            {{ feature('mix.' ~ category ~ '_share', 0) }} as {{ category }}_share,
        {%- endfor %}
        {%- for channel in ['deals', 'web', 'catalog', 'store'] %}
            {{ feature('mix.' ~ channel ~ '_share', 0) }} as {{ channel }}_share,
        {%- endfor %}
        {{ fit_exclusion_columns([
            ('customers.is_birth_year_implausible', 'implausible_birth_year'),
            ('customers.is_income_implausible', 'implausible_income'),
        ]) }}
    from customers
    inner join mix
        on customers.customer_id = mix.customer_id

)

select * from final
