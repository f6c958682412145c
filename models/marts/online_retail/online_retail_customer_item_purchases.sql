{#
    The item-level purchase pattern, in long form: one row per customer of the customer mart
    and popular item (online_retail_products.is_in_item_pattern: bought on more than var
    item_pattern_min_lines purchase lines, 100 as in the reference project), with the lines and units the customer bought (purchase
    lines: paid product lines that are not returns). Long, not
    a customers-by-items matrix, so that it stays small with millions of customers; the
    clusterer turns it into a sparse matrix.
#}

with

{# The customer’s lines of each item over all periods (customers of the customer mart only). #}
customer_items as (

    select
        customer_id,
        stock_code,
        sum(purchase_lines) as purchase_lines,
        sum(units_purchased) as units_purchased
    from {{ ref('int_online_retail_customer_item_periods') }}
    group by customer_id, stock_code

),

{# The items of the pattern: one definition, online_retail_products.is_in_item_pattern. #}
popular_items as (

    select stock_code
    from {{ ref('online_retail_products') }}
    where is_in_item_pattern

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
