{#
    The numbers the clusterer reads for the retailer, one row per customer with a
    product purchase, plus the flag that keeps customers with no net spend out of
    fitting (they are still assigned a segment). Units and intended transformations
    are in the YAML; the transformations happen in the segmentation package.
#}

with

customers as (

    select
        customer_id,
        recency_days,
        frequency,
        monetary_gbp,
        tenure_days,
        average_basket_value_gbp,
        distinct_products,
        return_share
    from {{ ref('online_retail_customers') }}

),

mix as (

    select * from {{ ref('online_retail_customer_category_mix') }}

),

final as (

    select
        customers.customer_id,
        {{ feature('customers.recency_days') }} as recency_days,
        {{ feature('customers.frequency') }} as frequency,
        {{ feature('customers.monetary_gbp') }} as monetary_gbp,
        {{ feature('customers.tenure_days') }} as tenure_days,
        {{ feature('customers.average_basket_value_gbp') }} as average_basket_value_gbp,
        {{ feature('customers.distinct_products') }} as distinct_products,
        {{ feature('least(customers.return_share, 1)', 0) }} as return_share,
        {%- for category in var('online_retail_product_categories') %}
            {{ feature('mix.' ~ category ~ '_share', 0) }} as {{ category }}_share,
        {%- endfor %}
        {{ fit_exclusion_columns([
            ('customers.monetary_gbp <= 0', 'no_net_spend'),
        ]) }}
    from customers
    inner join mix
        on customers.customer_id = mix.customer_id

)

select * from final
