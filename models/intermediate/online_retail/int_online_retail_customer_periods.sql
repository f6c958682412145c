{#
    The retailer’s history in periods (var segment_history_period, month by default), one row
    per customer of the customer marts and period with lines: the additive parts of the
    customer aggregates (purchase lines, gross sales and sales per product category, returned
    value, manual adjustments; counted purchase invoices, their value, the first and last
    purchase day), keyed by the as-of point from which they count (the start of the next
    period, or the as-of date for the last one; lines dated after an as-of date set by var
    count from it, as the customer marts count every line). Summing a customer’s rows up to a point gives
    the aggregates as of that point: one pass over the lines serves every point
    (int_online_retail_customer_history), and over all periods the category mix.
#}
{# Customer-period grain, read by the category mix and the segment history: a table. #}
{{ config(materialized='table') }}

{%- set period = var('segment_history_period') %}
{%- set categories = var('online_retail_product_categories') %}

with

as_of as (

    select max(as_of_date) as as_of_date
    from {{ ref('int_online_retail_customers_aggregated') }}

),

customers as (

    select customer_id
    from {{ ref('int_online_retail_customers_aggregated') }}

),

lines as (

    select
        classified.customer_id,
        classified.stock_code,
        classified.line_amount_gbp,
        classified.is_purchase_line,
        classified.is_product_return,
        classified.is_manual_adjustment,
        {{ history_point('classified.invoice_date', 'as_of.as_of_date') }} as counts_from
    from {{ ref('int_transaction_lines_classified') }} as classified
    inner join customers
        on classified.customer_id = customers.customer_id
    cross join as_of
    where classified.is_purchase_line or classified.is_product_return or classified.is_manual_adjustment

),

products as (

    select
        stock_code,
        category
    from {{ ref('int_products_categorised') }}

),

line_parts as (

    select
        lines.customer_id,
        lines.counts_from,
        count(*) filter (where lines.is_purchase_line) as purchase_lines,
        coalesce(sum(lines.line_amount_gbp) filter (where lines.is_purchase_line), 0) as gross_sales_gbp,
        {%- for category in categories %}
            coalesce(sum(lines.line_amount_gbp) filter (
                where lines.is_purchase_line and products.category = '{{ category }}'
            ), 0) as {{ category }}_sales_gbp,
        {%- endfor %}
        coalesce(-sum(lines.line_amount_gbp) filter (where lines.is_product_return), 0) as returned_value_gbp,
        coalesce(sum(lines.line_amount_gbp) filter (where lines.is_manual_adjustment), 0) as manual_adjustments_gbp
    from lines
    left join products
        on lines.stock_code = products.stock_code
    group by lines.customer_id, lines.counts_from

),

invoice_parts as (

    select
        invoices.customer_id,
        {{ history_point('invoices.invoice_date', 'as_of.as_of_date') }} as counts_from,
        count(*) as purchase_invoices,
        sum(invoices.gross_value_gbp) as basket_value_gbp,
        min(invoices.invoice_date) as first_purchase_date,
        max(invoices.invoice_date) as last_purchase_date
    from {{ ref('int_purchase_invoices_netted') }} as invoices
    cross join as_of
    where invoices.is_counted_purchase
    group by all

),

final as (

    select
        coalesce(line_parts.customer_id, invoice_parts.customer_id) as customer_id,
        coalesce(line_parts.counts_from, invoice_parts.counts_from) as counts_from,
        coalesce(line_parts.purchase_lines, 0) as purchase_lines,
        coalesce(line_parts.gross_sales_gbp, 0) as gross_sales_gbp,
        {%- for category in categories %}
            coalesce(line_parts.{{ category }}_sales_gbp, 0) as {{ category }}_sales_gbp,
        {%- endfor %}
        coalesce(line_parts.returned_value_gbp, 0) as returned_value_gbp,
        coalesce(line_parts.manual_adjustments_gbp, 0) as manual_adjustments_gbp,
        coalesce(invoice_parts.purchase_invoices, 0) as purchase_invoices,
        coalesce(invoice_parts.basket_value_gbp, 0) as basket_value_gbp,
        invoice_parts.first_purchase_date,
        invoice_parts.last_purchase_date
    from line_parts
    full outer join invoice_parts
        on
            line_parts.customer_id = invoice_parts.customer_id
            and line_parts.counts_from = invoice_parts.counts_from

)

select * from final
