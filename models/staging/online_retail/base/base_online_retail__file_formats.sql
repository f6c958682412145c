{#
    One row per transaction input file: how it is read (register_raw_inputs hook) and how its
    invoice dates and prices are read, decided from their values once per file (macro
    input_file_formats). base_online_retail__transaction_lines stops the build on its
    input_problem. Incremental by file: a refresh decides only the files it has not seen
    (macros/incremental_files.sql).
#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_rows_of_files_gone(
        source('online_retail', 'transactions_files'), same_columns=('file_path', 'duplicate_paths')
    ) }}",
) }}

{{ input_file_formats(
    lines_relation=source('online_retail', 'transactions'),
    files_relation=source('online_retail', 'transactions_files'),
    date_column='InvoiceDate',
    money_columns=['UnitPrice'],
    repair_year_shift=true,
    new_files_only=true,
    same_columns=('file_path', 'duplicate_paths'),
) }}
