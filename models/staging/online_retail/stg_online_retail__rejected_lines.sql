{#
    One row per rejected raw line: every copy of a line that cannot be used, with its
    reason, and every copy after the first of a usable line, as a duplicate. A line’s key
    is its row_hash (of its file and raw fields) and its occurrence among identical lines of
    that file (1, 2, ...). Incremental by file, like the base model.
#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_rows_of_files_gone(source('online_retail', 'transactions_files')) }}",
) }}

{# Built only once the file’s columns passed their checks (the build stops there otherwise). #}
-- depends_on: {{ ref('base_online_retail__column_checks') }}

with

lines as (

    select
        {{ online_retail_line_hash() }} as row_hash,
        line_copies,
        rejection_reason,
        rejection_detail,
        _file_id,
        raw_invoiceno,
        raw_stockcode,
        raw_description,
        raw_quantity,
        raw_invoicedate,
        raw_unitprice,
        raw_customerid,
        raw_country,
        raw_extra_field
    from {{ ref('base_online_retail__transaction_lines') }}
    where (rejection_reason is not null or line_copies > 1) and {{ new_input_files_only() }}

),

copies as (

    select
        *,
        {{ integer_series_rows('case when rejection_reason is null then 2 else 1 end', 'line_copies') }}
            as occurrence
    from lines

),

keyed as (

    select
        _file_id,
        raw_invoiceno,
        raw_stockcode,
        raw_description,
        raw_quantity,
        raw_invoicedate,
        raw_unitprice,
        raw_customerid,
        raw_country,
        raw_extra_field,
        row_hash || '-' || occurrence as raw_row_id,
        coalesce(rejection_reason, 'duplicate_line') as rejection_reason,
        coalesce(
            rejection_detail,
            'exact copy of an earlier line (occurrence ' || occurrence || ')'
        ) as rejection_detail
    from copies

),

final as (

    select
        raw_row_id,
        rejection_reason,
        rejection_detail,
        _file_id,
        raw_invoiceno,
        raw_stockcode,
        raw_description,
        raw_quantity,
        raw_invoicedate,
        raw_unitprice,
        raw_customerid,
        raw_country,
        raw_extra_field
    from keyed

)

select * from final
