{#
    The share of product purchase value of each customer per category (var
    online_retail_product_categories). Shares add up to 1; NULL for a customer whose
    purchases are all free.
#}

with

purchases as (

    select
        customer_id,
        stock_code,
        line_amount_gbp
    from {{ ref('int_transaction_lines_classified') }}
    where is_product and not is_return

),

products as (

    select
        stock_code,
        category
    from {{ ref('int_products_categorised') }}

),

category_sales as (

    select
        purchases.customer_id,
        {%- for category in var('online_retail_product_categories') %}
            sum(case when products.category = '{{ category }}' then purchases.line_amount_gbp else 0 end)
                as {{ category }}_sales_gbp,
        {%- endfor %}
        sum(purchases.line_amount_gbp) as sales_gbp
    from purchases
    inner join products
        on purchases.stock_code = products.stock_code
    group by purchases.customer_id

),

final as (

    select
        customer_id,
        {{ share_columns(var('online_retail_product_categories'), 'sales_gbp', '_sales_gbp') }}
    from category_sales

)

select * from final
