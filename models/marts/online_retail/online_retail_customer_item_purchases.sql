{#
    The item-level purchase pattern, in long form: one row per customer and popular
    item (an item bought on more than var item_pattern_min_lines purchase lines, 100 as
    in the reference project), with the lines and units the customer bought. Long, not
    a customers-by-items matrix, so that it stays small with millions of customers; the
    clusterer turns it into a sparse matrix.
#}

with

purchases as (

    select
        customer_id,
        stock_code,
        quantity
    from {{ ref('int_transaction_lines_classified') }}
    where is_product and not is_return

),

popular_items as (

    select stock_code
    from purchases
    group by stock_code
    having count(*) > {{ var('item_pattern_min_lines') }}

),

final as (

    select
        purchases.customer_id,
        purchases.stock_code,
        cast(count(*) as {{ dbt.type_int() }}) as purchase_lines,
        cast(sum(purchases.quantity) as {{ dbt.type_bigint() }}) as units_purchased
    from purchases
    inner join popular_items
        on purchases.stock_code = popular_items.stock_code
    group by purchases.customer_id, purchases.stock_code

)

select * from final
