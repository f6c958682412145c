{#
    Every distinct raw transaction line, typed, with the number of times it appears in
    the file and the reason it cannot feed customer marts (NULL when it can).
    stg_online_retail__transactions keeps one copy of each usable line and
    stg_online_retail__rejected_lines every other copy: raw lines = clean lines +
    rejected lines.

    Exact copies are counted by one grouping over the raw text (the deduplication step of
    the base model): each distinct line is parsed once, and no window has to carry every
    column of every line. The line’s key (an MD5 of its raw fields) is computed by the two
    staging models, where it is used.

    Dates and numbers are read as the line’s file is (base_online_retail__file_formats: date
    order, decimal separator); a file whose format could not be decided stops the build here,
    before a line is read the wrong way. Quantities must be whole (2.5 is rejected, not
    rounded); quantities and prices beyond the plausibility limits (vars) are rejected, so that
    no amount downstream can overflow its type.

    Incremental by file (macros/incremental_files.sql): a refresh reads and parses only the
    files the table does not hold yet (DuckDB does not open the others), and deletes the rows
    of files gone or changed; each file’s lines are decided from that file alone (copies are
    counted within a file), so the incremental table equals a full refresh’s.
#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_rows_of_files_gone(source('online_retail', 'transactions_files')) }}",
) }}

with

source as (

    select
        _file_id,
        _field_count as field_count,
        nullif(_extra_field, '') as raw_extra_field,
        {{ raw_text_columns(online_retail_raw_columns()) }}
    from {{ source('online_retail', 'transactions') }}
    where {{ new_input_files_only() }}

),

file_formats as (

    select
        _file_id,
        header_fields,
        date_order,
        decimal_separator
    from {{ ref('base_online_retail__file_formats') }}
    where {{ fail_if('input_problem is not null', "'Cannot read the transactions: ' || input_problem") }}

),

distinct_lines as (

    select
        *,
        count(*) as line_copies
    from source
    group by all

),

parsed as (

    select
        distinct_lines.*,
        file_formats.header_fields as expected_field_count,
        file_formats.date_order,
        file_formats.decimal_separator,
        upper({{ clean_text('distinct_lines.raw_invoiceno') }}) as invoice_no,
        upper({{ clean_text('distinct_lines.raw_stockcode') }}) as stock_code,
        {{ clean_text('distinct_lines.raw_description') }} as description,
        {# Doubles to check range and wholeness (exact for whole numbers far beyond the limits). #}
        {{ parse_number('distinct_lines.raw_quantity', 'file_formats.decimal_separator', type_double()) }}
            as quantity_value,
        {{ parse_timestamp('distinct_lines.raw_invoicedate', 'file_formats.date_order', repair_year_shift=true) }}
            as invoiced_at,
        {{ parse_number('distinct_lines.raw_unitprice', 'file_formats.decimal_separator', type_double()) }}
            as unit_price_value,
        {# Prices are kept to 4 decimals (a hundredth of a penny). #}
        {{ parse_number('distinct_lines.raw_unitprice', 'file_formats.decimal_separator', 'decimal(18, 4)') }}
            as unit_price_exact,
        {{ normalise_customer_id('distinct_lines.raw_customerid') }} as customer_id,
        coalesce({{ clean_text('distinct_lines.raw_country') }}, 'Unspecified') as country
    from distinct_lines
    inner join file_formats
        on distinct_lines._file_id = file_formats._file_id

),

checked as (

    select
        *,
        quantity_value <> floor(quantity_value) as is_quantity_fractional,
        abs(quantity_value) > {{ var('online_retail_max_plausible_quantity') }} as is_quantity_implausible,
        abs(unit_price_value) > {{ var('online_retail_max_plausible_unit_price_gbp') }}
        or (unit_price_value < 0 and invoice_no not like 'A%') as is_unit_price_implausible
    from parsed

),

final as (

    select
        _file_id,
        field_count,
        expected_field_count,
        raw_extra_field,
        raw_invoiceno,
        raw_stockcode,
        raw_description,
        raw_quantity,
        raw_invoicedate,
        raw_unitprice,
        raw_customerid,
        raw_country,
        invoice_no,
        stock_code,
        description,
        case
            when not is_quantity_fractional and not is_quantity_implausible
                then cast(quantity_value as {{ dbt.type_int() }})
        end as quantity,
        invoiced_at,
        case when not is_unit_price_implausible then unit_price_exact end as unit_price_gbp,
        customer_id,
        country,
        line_copies,
        case
            when field_count <> expected_field_count then 'malformed_row'
            when invoice_no is null then 'missing_invoice_no'
            when invoiced_at is null then 'unparseable_invoice_date'
            when quantity_value is null then 'non_numeric_quantity'
            when is_quantity_fractional then 'fractional_quantity'
            when is_quantity_implausible then 'implausible_quantity'
            when unit_price_value is null then 'non_numeric_unit_price'
            when is_unit_price_implausible then 'implausible_unit_price'
            when stock_code is null then 'missing_stock_code'
            when customer_id is null then 'missing_customer_id'
        end as rejection_reason,
        case
            when field_count < expected_field_count
                then 'the row has ' || field_count || ' field(s) where the header has ' || expected_field_count
            when field_count > expected_field_count
                then
                    'the row has more fields than the header''s ' || expected_field_count
                    || ' (the first extra one: ' || coalesce(raw_extra_field, '<empty>') || ')'
            when invoice_no is null then 'InvoiceNo is empty'
            when invoiced_at is null
                then
                    'InvoiceDate is not a known date layout (file read ' || replace(date_order, '_', ' ')
                    || '): ' || coalesce(raw_invoicedate, '<empty>')
            when quantity_value is null
                then
                    'Quantity is not a number (decimal ' || decimal_separator || '): '
                    || coalesce(raw_quantity, '<empty>')
            when is_quantity_fractional then 'Quantity is not a whole number: ' || raw_quantity
            when is_quantity_implausible
                then
                    'Quantity is beyond the plausible '
                    || {{ var('online_retail_max_plausible_quantity') }} || ' units a line: ' || raw_quantity
            when unit_price_value is null
                then
                    'UnitPrice is not a number (decimal ' || decimal_separator || '): '
                    || coalesce(raw_unitprice, '<empty>')
            when unit_price_value < 0 and invoice_no not like 'A%'
                then 'UnitPrice is negative outside a bad-debt adjustment (A) invoice: ' || raw_unitprice
            when is_unit_price_implausible
                then
                    'UnitPrice is beyond the plausible '
                    || {{ var('online_retail_max_plausible_unit_price_gbp') }} || ' GBP a unit: ' || raw_unitprice
            when stock_code is null then 'StockCode is empty'
            when customer_id is null then 'CustomerID is empty'
        end as rejection_detail
    from checked

)

select * from final
