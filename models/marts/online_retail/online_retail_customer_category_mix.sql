{#
    Each customer’s share of product purchase value per category (var
    online_retail_product_categories), over purchase lines (paid product lines that are not
    returns), for the customers of the customer mart. Shares add up to 1.
#}

with

purchases as (

    select
        customer_id,
        stock_code,
        line_amount_gbp
    from {{ ref('int_transaction_lines_classified') }}
    where is_purchase_line

),

{# The customers of the customer mart (others have no purchase that counts). #}
customers as (

    select customer_id
    from {{ ref('int_online_retail_customers_aggregated') }}

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
        category_sales.customer_id,
        {{ share_columns(var('online_retail_product_categories'), 'category_sales.sales_gbp', '_sales_gbp') }}
    from category_sales
    inner join customers
        on category_sales.customer_id = customers.customer_id

)

select * from final
