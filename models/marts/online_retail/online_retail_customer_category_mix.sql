{#
    Each customer’s share of product purchase value per category (var
    online_retail_product_categories), over purchase lines (paid product lines that are not
    returns), for the customers of the customer mart. Shares add up to 1.
#}

with

{# From the customers’ period rows: one pass over the lines, shared with the segment history. #}
category_sales as (

    select
        customer_id,
        {%- for category in var('online_retail_product_categories') %}
            sum({{ category }}_sales_gbp) as {{ category }}_sales_gbp,
        {%- endfor %}
        sum(gross_sales_gbp) as sales_gbp
    from {{ ref('int_online_retail_customer_periods') }}
    group by customer_id

),

final as (

    select
        category_sales.customer_id,
        {{ share_columns(var('online_retail_product_categories'), 'category_sales.sales_gbp', '_sales_gbp') }}
    from category_sales

)

select * from final
