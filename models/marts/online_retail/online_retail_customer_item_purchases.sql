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

customer_items as (

    select
        customer_id,
        stock_code,
        count(*) as purchase_lines,
        sum(quantity) as units_purchased
    from purchases
    group by customer_id, stock_code

),

popular_items as (

    select stock_code
    from customer_items
    group by stock_code
    having sum(purchase_lines) > {{ var('item_pattern_min_lines') }}

),

final as (

    select
        customer_items.customer_id,
        customer_items.stock_code,
        cast(customer_items.purchase_lines as {{ dbt.type_int() }}) as purchase_lines,
        cast(customer_items.units_purchased as {{ dbt.type_bigint() }}) as units_purchased
    from customer_items
    inner join popular_items
        on customer_items.stock_code = popular_items.stock_code

)

select * from final
