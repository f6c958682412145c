with

products as (

    select * from {{ ref('int_products_categorised') }}

),

purchases as (

    select
        stock_code,
        customer_id,
        quantity,
        line_amount_gbp
    from {{ ref('int_transaction_lines_classified') }}
    where is_purchase_line

),

sales as (

    select
        stock_code,
        count(*) as purchase_lines,
        sum(quantity) as units_sold,
        sum(line_amount_gbp) as sales_gbp,
        count(distinct customer_id) as customers
    from purchases
    group by stock_code

),

final as (

    select
        products.stock_code,
        products.description,
        products.category,
        products.matched_keyword,
        cast(coalesce(sales.purchase_lines, 0) as {{ dbt.type_int() }}) as purchase_lines,
        cast(coalesce(sales.units_sold, 0) as {{ dbt.type_bigint() }}) as units_sold,
        cast(coalesce(sales.sales_gbp, 0) as decimal(38, 2)) as sales_gbp,
        cast(coalesce(sales.customers, 0) as {{ dbt.type_int() }}) as customers,
        coalesce(sales.purchase_lines, 0) > {{ var('item_pattern_min_lines') }} as is_in_item_pattern
    from products
    left join sales
        on products.stock_code = sales.stock_code

)

select * from final
