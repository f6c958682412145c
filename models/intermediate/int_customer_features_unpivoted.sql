{#
    Every customer feature of both sources in long form (source, customer_id, feature,
    value): what segment profiles average, whatever features the tables carry.
#}

with

smartcart as (

    {{ unpivot_numeric_columns(ref('customer_features_smartcart'), 'customer_id') }}

),

online_retail as (

    {{ unpivot_numeric_columns(ref('customer_features_online_retail'), 'customer_id') }}

),

final as (

    select
        'smartcart' as source,
        customer_id,
        feature,
        value
    from smartcart
    union all
    select
        'online_retail' as source,
        customer_id,
        feature,
        value
    from online_retail

)

select * from final
