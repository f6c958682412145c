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
{#- The period rows’ additive columns. #}
{%- set additive = ['purchase_lines', 'gross_sales_gbp'] %}
{%- for category in categories %}{% do additive.append(category ~ '_sales_gbp') %}{% endfor %}
{%- do additive.extend(['returned_value_gbp', 'manual_adjustments_gbp', 'purchase_invoices', 'basket_value_gbp']) %}

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

{# Every point from the customer’s first period on: a few rows per customer, not per line. #}
customer_points as (

    select
        customer_starts.customer_id,
        points.as_of_date
    from (
        select
            customer_id,
            min(counts_from) as first_counts_from
        from periods
        group by customer_id
    ) as customer_starts
    inner join points
        on customer_starts.first_counts_from <= points.as_of_date

),

{# A product counts from the period the customer first bought it in. #}
new_products as (

    select
        customer_id,
        counts_from,
        count(*) as new_products
    from (
        select
            customer_id,
            min(counts_from) as counts_from
        from item_periods
        group by customer_id, stock_code
    ) as first_purchases
    group by customer_id, counts_from

),

{# Running sums over the customer’s points: every aggregate as of every point, in one pass. #}
running as (

    select
        customer_points.as_of_date,
        customer_points.customer_id,
        {%- for column in additive %}
            sum(periods.{{ column }}) over customer_so_far as {{ column }},
        {%- endfor %}
        sum(new_products.new_products) over customer_so_far as distinct_products,
        min(periods.first_purchase_date) over customer_so_far as first_purchase_date,
        max(periods.last_purchase_date) over customer_so_far as last_purchase_date
    from customer_points
    left join periods
        on
            customer_points.customer_id = periods.customer_id
            and customer_points.as_of_date = periods.counts_from
    left join new_products
        on
            customer_points.customer_id = new_products.customer_id
            and customer_points.as_of_date = new_products.counts_from
    window customer_so_far as (
        partition by customer_points.customer_id
        order by customer_points.as_of_date
        rows between unbounded preceding and current row
    )

),

{# From the customer’s first purchase that counts. #}
cumulative as (

    select * from running
    where purchase_invoices > 0

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
        {{ feature('cumulative.distinct_products', 0) }} as distinct_products,
        {%- for category in categories %}
            {{ feature(share_of('cumulative.' ~ category ~ '_sales_gbp', 'cumulative.gross_sales_gbp'), 0) }} as {{ category }}_share,  -- noqa: LT05
        {%- endfor %}
        {{ feature('least(' ~ share_of('cumulative.returned_value_gbp', 'cumulative.gross_sales_gbp') ~ ', 1)', 0) }}
            as return_share
    from cumulative

)

select * from final
