{#
    Every distinct raw transaction line, typed, with the number of times it appears in
    the file and the reason it cannot feed customer marts (NULL when it can).
    stg_online_retail__transactions keeps one copy of each usable line and
    stg_online_retail__rejected_lines every other copy: raw lines = clean lines +
    rejected lines.

    Exact copies are counted by one grouping over the raw text (the deduplication step of
    the base model): each distinct line is parsed once, and no window has to carry every
    column of every line. The line's key (an MD5 of its raw fields) is computed by the two
    staging models, where it is used.
#}

with

source as (

    select {{ raw_text_columns(online_retail_raw_columns()) }}
    from {{ source('online_retail', 'transactions') }}

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
        *,
        upper({{ clean_text('raw_invoiceno') }}) as invoice_no,
        upper({{ clean_text('raw_stockcode') }}) as stock_code,
        {{ clean_text('raw_description') }} as description,
        {{ dbt.safe_cast(clean_text('raw_quantity'), api.Column.translate_type('integer')) }} as quantity,
        {{ parse_invoice_timestamp('raw_invoicedate') }} as invoiced_at,
        {{ dbt.safe_cast(clean_text('raw_unitprice'), 'decimal(18, 4)') }} as unit_price_gbp,
        {{ normalise_customer_id('raw_customerid') }} as customer_id,
        coalesce({{ clean_text('raw_country') }}, 'Unspecified') as country
    from distinct_lines

),

final as (

    select
        *,
        case
            when invoice_no is null then 'missing_invoice_no'
            when invoiced_at is null then 'unparseable_invoice_date'
            when quantity is null then 'non_numeric_quantity'
            when unit_price_gbp is null then 'non_numeric_unit_price'
            when stock_code is null then 'missing_stock_code'
            when customer_id is null then 'missing_customer_id'
        end as rejection_reason,
        case
            when invoice_no is null then 'InvoiceNo is empty'
            when invoiced_at is null
                then 'InvoiceDate is not a known date layout: ' || coalesce(raw_invoicedate, '<empty>')
            when quantity is null then 'Quantity is not a whole number: ' || coalesce(raw_quantity, '<empty>')
            when unit_price_gbp is null then 'UnitPrice is not a number: ' || coalesce(raw_unitprice, '<empty>')
            when stock_code is null then 'StockCode is empty'
            when customer_id is null then 'CustomerID is empty'
        end as rejection_detail
    from parsed

)

select * from final
