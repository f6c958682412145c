{#
    One row per customer and purchase invoice (an invoice with at least one purchase line: a
    paid product line that is not a return), with its value and whether its purchases were all
    returned later, in which case it does not count as a purchase (frequency, basket value,
    first and last purchase).

    Returns are matched to purchases per customer and stock code, first in, first out: the
    units returned offset the earliest units bought before the return (returns dated before any
    purchase in the data, or beyond what was bought, are returns of earlier purchases and offset
    nothing). With cumulative sums: of the units returned, all but the running maximum of
    (returned so far - bought so far) match, and they consume the first units bought, so a
    purchase line’s returned units are where its units sit in that order (lines of one invoice
    sit together, so ties among them change no invoice’s figures). Only customers and codes with
    a return are windowed.
#}

{# Invoice grain, read by the customer aggregates: a table. #}
{{ config(materialized='table') }}

with

{# Two reads of the lines (purchases, returns): each reads only its rows and columns. #}
purchases as (

    select
        customer_id,
        invoice_no,
        stock_code,
        invoiced_at,
        invoice_date,
        quantity,
        line_amount_gbp
    from {{ ref('int_transaction_lines_classified') }}
    where is_purchase_line

),

returns as (

    select
        customer_id,
        stock_code,
        invoiced_at,
        greatest(-quantity, 0) as returned_units
    from {{ ref('int_transaction_lines_classified') }}
    where is_product_return

),

returned_codes as (

    select distinct
        customer_id,
        stock_code
    from returns

),

events as (

    select
        purchases.customer_id,
        purchases.stock_code,
        purchases.invoice_no,
        purchases.invoiced_at,
        0 as event_order,
        purchases.quantity as bought_units,
        0 as returned_units
    from purchases
    inner join returned_codes
        on
            purchases.customer_id = returned_codes.customer_id
            and purchases.stock_code = returned_codes.stock_code
    union all
    select
        customer_id,
        stock_code,
        null as invoice_no,
        invoiced_at,
        1 as event_order,
        0 as bought_units,
        returned_units
    from returns

),

running as (

    select
        *,
        sum(bought_units) over code_history as bought_so_far,
        sum(returned_units) over code_history as returned_so_far
    from events
    window code_history as (
        partition by customer_id, stock_code
        order by invoiced_at, event_order, invoice_no
        rows between unbounded preceding and current row
    )

),

matched as (

    select
        customer_id,
        stock_code,
        sum(returned_units) - greatest(max(returned_so_far - bought_so_far), 0) as matched_units
    from running
    group by customer_id, stock_code

),

line_returns as (

    select
        running.customer_id,
        running.invoice_no,
        running.bought_units,
        least(
            greatest(matched.matched_units - (running.bought_so_far - running.bought_units), 0),
            running.bought_units
        ) as returned_units
    from running
    inner join matched
        on
            running.customer_id = matched.customer_id
            and running.stock_code = matched.stock_code
    where running.event_order = 0

),

invoice_returns as (

    select
        customer_id,
        invoice_no,
        sum(returned_units) as returned_units,
        count(*) filter (where returned_units = bought_units) as fully_returned_lines
    from line_returns
    group by customer_id, invoice_no

),

invoices as (

    select
        customer_id,
        invoice_no,
        min(invoiced_at) as invoiced_at,
        min(invoice_date) as invoice_date,
        count(*) as purchase_lines,
        sum(quantity) as units_bought,
        sum(line_amount_gbp) as gross_value_gbp
    from purchases
    group by customer_id, invoice_no

),

final as (

    select
        invoices.customer_id,
        invoices.invoice_no,
        invoices.invoiced_at,
        invoices.invoice_date,
        cast(invoices.purchase_lines as {{ dbt.type_int() }}) as purchase_lines,
        cast(invoices.units_bought as {{ dbt.type_bigint() }}) as units_bought,
        cast(invoices.gross_value_gbp as decimal(38, 4)) as gross_value_gbp,
        cast(coalesce(invoice_returns.returned_units, 0) as {{ dbt.type_bigint() }}) as units_returned,
        coalesce(invoice_returns.fully_returned_lines = invoices.purchase_lines, false) as is_fully_returned,
        not coalesce(invoice_returns.fully_returned_lines = invoices.purchase_lines, false) as is_counted_purchase
    from invoices
    left join invoice_returns
        on
            invoices.customer_id = invoice_returns.customer_id
            and invoices.invoice_no = invoice_returns.invoice_no

)

select * from final
