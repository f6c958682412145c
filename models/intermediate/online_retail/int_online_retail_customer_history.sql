{#
    The retailer’s customers as of every point of the segment history (the start of every
    period, and the as-of date): one row per point and customer with a purchase that counts
    before it, with the customer aggregates and the segmentation features as the customer
    marts define them, from the customer’s period rows up to the point. The last point is
    the as-of date, where they equal the customer marts’ (rounded as the marts round them;
    tested). Invoices returned in full
    later are left out at every point (the netting reads the whole history).
#}
{# Not on Spark: the segment history’s input (DuckDB only, like it). #}
{# Customer-point grain, scored and read by the history marts: a table. #}
{{ config(materialized='table', enabled=target.type != 'spark') }}

{%- set categories = var('online_retail_product_categories') %}

with

periods as (

    select * from {{ ref('int_online_retail_customer_periods') }}

),

item_periods as (

    select
        customer_id,
        stock_code,
        counts_from
    from {{ ref('int_online_retail_customer_item_periods') }}

),

{# Every period start with lines, and the as-of date itself (also when no line falls in its period). #}
points as (

    select counts_from as as_of_date
    from periods
    union
    select max(as_of_date) as as_of_date
    from {{ ref('int_online_retail_customers_aggregated') }}

),

cumulative as (

    select
        points.as_of_date,
        periods.customer_id,
        sum(periods.purchase_lines) as purchase_lines,
        sum(periods.gross_sales_gbp) as gross_sales_gbp,
        {%- for category in categories %}
            sum(periods.{{ category }}_sales_gbp) as {{ category }}_sales_gbp,
        {%- endfor %}
        sum(periods.returned_value_gbp) as returned_value_gbp,
        sum(periods.manual_adjustments_gbp) as manual_adjustments_gbp,
        sum(periods.purchase_invoices) as purchase_invoices,
        sum(periods.basket_value_gbp) as basket_value_gbp,
        min(periods.first_purchase_date) as first_purchase_date,
        max(periods.last_purchase_date) as last_purchase_date
    from points
    inner join periods
        on points.as_of_date >= periods.counts_from
    group by points.as_of_date, periods.customer_id
    having sum(periods.purchase_invoices) > 0

),

products as (

    select
        points.as_of_date,
        item_periods.customer_id,
        count(distinct item_periods.stock_code) as distinct_products
    from points
    inner join item_periods
        on points.as_of_date >= item_periods.counts_from
    group by points.as_of_date, item_periods.customer_id

),

final as (

    select
        cumulative.customer_id || '@' || cast(cumulative.as_of_date as {{ dbt.type_string() }}) as history_id,
        cumulative.customer_id,
        cumulative.as_of_date,
        cumulative.first_purchase_date,
        cumulative.last_purchase_date,
        {{ feature(dbt.datediff('cumulative.last_purchase_date', 'cumulative.as_of_date', 'day')) }}
            as recency_days,
        {{ feature('cumulative.purchase_invoices') }} as frequency,
        {{ feature(
            'cast(greatest(cumulative.gross_sales_gbp - cumulative.returned_value_gbp'
            ~ ' + cumulative.manual_adjustments_gbp, 0) as decimal(38, 2))'
        ) }} as monetary_gbp,
        {{ feature(dbt.datediff('cumulative.first_purchase_date', 'cumulative.as_of_date', 'day')) }}
            as tenure_days,
        {{ feature('cast(cumulative.basket_value_gbp / cumulative.purchase_invoices as decimal(38, 4))') }}
            as average_basket_value_gbp,
        {{ feature('products.distinct_products', 0) }} as distinct_products,
        {%- for category in categories %}
            {{ feature(share_of('cumulative.' ~ category ~ '_sales_gbp', 'cumulative.gross_sales_gbp'), 0) }} as {{ category }}_share,  -- noqa: LT05
        {%- endfor %}
        {{ feature('least(' ~ share_of('cumulative.returned_value_gbp', 'cumulative.gross_sales_gbp') ~ ', 1)', 0) }}
            as return_share
    from cumulative
    left join products
        on
            cumulative.customer_id = products.customer_id
            and cumulative.as_of_date = products.as_of_date

)

select * from final
