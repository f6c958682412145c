{#
    One row per customer id with a clean line: what its lines are (purchases, free product
    lines, returns, non-product lines, manual adjustments; GBP), its purchase invoices, and why
    the customer marts leave it out, if they do (exclusion_reason, the first that applies):
    only_non_product_lines (no product line at all: postage, fees, manual entries...),
    only_returns (product lines, all of them returns), only_free_or_returned_purchases (no
    purchase invoice left: every purchase was free, or returned in full). Every customer id
    of the clean lines is here once, so that the customer mart and the left-out customers add
    up to them (tested on online_retail_customers_left_out). One pass over the lines.
#}

{# Customer grain, read by the customer aggregates and the left-out customers: a table. #}
{{ config(materialized='table') }}

with

lines as (

    select
        customer_id,
        invoice_no,
        stock_code,
        quantity,
        line_amount_gbp,
        is_product,
        is_return,
        is_purchase_line,
        is_product_return,
        is_manual_adjustment
    from {{ ref('int_transaction_lines_classified') }}

),

invoices as (

    select
        customer_id,
        invoice_date,
        gross_value_gbp,
        is_counted_purchase
    from {{ ref('int_purchase_invoices_netted') }}

),

line_summary as (

    select
        customer_id,
        count(*) as clean_lines,
        count(*) filter (where is_purchase_line) as purchase_lines,
        coalesce(sum(quantity) filter (where is_purchase_line), 0) as units_purchased,
        count(distinct stock_code) filter (where is_purchase_line) as distinct_products,
        coalesce(sum(line_amount_gbp) filter (where is_purchase_line), 0) as gross_sales_gbp,
        count(*) filter (where is_product and not is_return and not is_purchase_line) as free_product_lines,
        count(*) filter (where is_product_return) as return_lines,
        count(distinct invoice_no) filter (where is_product_return) as return_invoices,
        coalesce(-sum(line_amount_gbp) filter (where is_product_return), 0) as returned_value_gbp,
        count(*) filter (where not is_product) as non_product_lines,
        coalesce(sum(line_amount_gbp) filter (where not is_product), 0) as non_product_amount_gbp,
        coalesce(sum(line_amount_gbp) filter (where is_manual_adjustment), 0) as manual_adjustments_gbp,
        sum(line_amount_gbp) as net_amount_gbp
    from lines
    group by customer_id

),

invoice_summary as (

    select
        customer_id,
        count(*) filter (where is_counted_purchase) as purchase_invoices,
        count(*) filter (where not is_counted_purchase) as fully_returned_invoices,
        min(invoice_date) filter (where is_counted_purchase) as first_purchase_date,
        max(invoice_date) filter (where is_counted_purchase) as last_purchase_date,
        avg(gross_value_gbp) filter (where is_counted_purchase) as average_basket_value_gbp,
        min(gross_value_gbp) filter (where is_counted_purchase) as min_basket_value_gbp,
        max(gross_value_gbp) filter (where is_counted_purchase) as max_basket_value_gbp
    from invoices
    group by customer_id

),

final as (

    select
        line_summary.customer_id,
        line_summary.clean_lines,
        line_summary.purchase_lines,
        line_summary.units_purchased,
        line_summary.distinct_products,
        line_summary.gross_sales_gbp,
        line_summary.free_product_lines,
        line_summary.return_lines,
        line_summary.return_invoices,
        line_summary.returned_value_gbp,
        line_summary.non_product_lines,
        line_summary.non_product_amount_gbp,
        line_summary.manual_adjustments_gbp,
        line_summary.net_amount_gbp,
        invoice_summary.first_purchase_date,
        invoice_summary.last_purchase_date,
        invoice_summary.average_basket_value_gbp,
        invoice_summary.min_basket_value_gbp,
        invoice_summary.max_basket_value_gbp,
        coalesce(invoice_summary.purchase_invoices, 0) as purchase_invoices,
        coalesce(invoice_summary.fully_returned_invoices, 0) as fully_returned_invoices,
        case
            when line_summary.purchase_lines + line_summary.free_product_lines + line_summary.return_lines = 0
                then 'only_non_product_lines'
            when line_summary.purchase_lines + line_summary.free_product_lines = 0 then 'only_returns'
            when coalesce(invoice_summary.purchase_invoices, 0) = 0 then 'only_free_or_returned_purchases'
        end as exclusion_reason
    from line_summary
    left join invoice_summary
        on line_summary.customer_id = invoice_summary.customer_id

)

select * from final
