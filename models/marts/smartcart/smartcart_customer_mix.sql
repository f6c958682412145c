{#
    The product mix of each SmartCart customer (share of spend in the six categories) and
    channel mix (share of purchases by deals, web, catalogue and store). Shares are
    NULL for a customer with no spend (or no purchases): a share of nothing is undefined.
#}

with

customers as (

    select
        customer_id,
        wines_amount,
        fruits_amount,
        meat_amount,
        fish_amount,
        sweets_amount,
        gold_amount,
        total_spend,
        deals_purchases,
        web_purchases,
        catalog_purchases,
        store_purchases,
        total_purchases
    from {{ ref('stg_smartcart__customers') }}

),

final as (

    select
        customer_id,
        {{ share_columns(['wines', 'fruits', 'meat', 'fish', 'sweets', 'gold'], 'total_spend', '_amount') }},
        {{ share_columns(['deals', 'web', 'catalog', 'store'], 'total_purchases', '_purchases') }}
    from customers

)

select * from final
