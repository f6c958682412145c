{#
    Every customer of the two customer marts has exactly one row in customer_value (scored, or
    with the reason it is not), and customer_value holds no one else. Fails with one row per
    customer missing on either side.
#}
{# Not on Spark: customer_value is DuckDB only. #}
{{ config(enabled=target.type != 'spark') }}

with

customers as (

    select
        'online_retail' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id
    from {{ ref('online_retail_customers') }}
    union all
    select
        'smartcart' as source,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id
    from {{ ref('smartcart_customers') }}

),

valued as (

    select
        source,
        customer_id
    from {{ ref('customer_value') }}

),

final as (

    select
        coalesce(customers.source, valued.source) as source,
        coalesce(customers.customer_id, valued.customer_id) as customer_id,
        case
            when valued.customer_id is null then 'missing from customer_value'
            else 'not a customer of the customer marts'
        end as problem
    from customers
    full outer join valued
        on
            customers.source = valued.source
            and customers.customer_id = valued.customer_id
    where customers.customer_id is null or valued.customer_id is null

)

select * from final
