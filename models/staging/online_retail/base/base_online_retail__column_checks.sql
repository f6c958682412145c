{#
    Per transaction input file and checked column: non-empty values and the share of them
    rejected (macro input_column_checks). The build stops here when a column is mostly
    unreadable (var input_column_max_rejected_share), a required column is empty on every row or
    too many rows are malformed; the staging models wait for this check. Incremental by file:
    a refresh checks only the new files’ lines (macros/incremental_files.sql).
#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_rows_of_files_gone(source('online_retail', 'transactions_files')) }}",
) }}

{{ input_column_checks(
    lines_relation=ref('base_online_retail__transaction_lines'),
    formats_relation=ref('base_online_retail__file_formats'),
    columns=[
        ('InvoiceNo', 'raw_invoiceno', 'invoice_no', true),
        ('StockCode', 'raw_stockcode', 'stock_code', true),
        ('InvoiceDate', 'raw_invoicedate', 'invoiced_at', true),
        ('Quantity', 'raw_quantity', 'quantity', true),
        ('UnitPrice', 'raw_unitprice', 'unit_price_gbp', true),
        ('CustomerID', 'raw_customerid', 'customer_id', true),
    ],
    row_text="concat_ws(',', raw_invoiceno, raw_stockcode, raw_description, raw_quantity, raw_invoicedate, "
        ~ "raw_unitprice, raw_customerid, raw_country)",
    new_files_only=true,
) }}
