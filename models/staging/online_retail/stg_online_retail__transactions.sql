{#
    Clean transaction lines: the first copy of every usable line of the base model, with
    amounts and return flags.
#}

{# A filter and a few expressions over the base table: a view, not a second copy of every line. #}
{{ config(materialized='view') }}

{# Built only once the file’s columns passed their checks (the build stops there otherwise). #}
-- depends_on: {{ ref('base_online_retail__column_checks') }}

with

lines as (

    select
        {{ online_retail_line_hash() }} as row_hash,
        _file_id,
        invoice_no,
        stock_code,
        description,
        quantity,
        unit_price_gbp,
        invoiced_at,
        customer_id,
        country
    from {{ ref('base_online_retail__transaction_lines') }}
    where rejection_reason is null

),

final as (

    select
        {# The first copy of the line: the key it had as a raw line (see the rejected lines). #}
        row_hash || '-1' as transaction_line_id,
        _file_id,
        invoice_no,
        stock_code,
        description,
        quantity,
        unit_price_gbp,
        cast(quantity * unit_price_gbp as decimal(18, 4)) as line_amount_gbp,
        invoiced_at,
        cast(invoiced_at as date) as invoice_date,
        customer_id,
        country,
        invoice_no like 'C%' as is_cancellation,
        invoice_no like 'C%' or quantity < 0 as is_return,
        invoice_no like 'A%' as is_adjustment,
        unit_price_gbp = 0 as is_zero_price
    from lines

)

select * from final
