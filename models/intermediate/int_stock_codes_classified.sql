{#
    Every stock code of the clean lines, classified once: a product, or one of the
    non-product line types of the seed non_product_stock_codes (exact codes and
    prefixes). Line-level models join to it on the code, so the pattern match runs once
    per code, not once per line.
#}

{# A few thousand codes, read by every line-level model: a table. #}
{{ config(materialized='table') }}

with

stock_codes as (

    select distinct stock_code
    from {{ ref('stg_online_retail__transactions') }}

),

non_product_codes as (

    select
        stock_code,
        match_type,
        line_type
    from {{ ref('non_product_stock_codes') }}

),

classified as (

    select
        stock_codes.stock_code,
        coalesce(non_product_codes.line_type, 'product') as line_type,
        non_product_codes.stock_code is null as is_product
    from stock_codes
    left join non_product_codes
        on
            (non_product_codes.match_type = 'exact' and stock_codes.stock_code = non_product_codes.stock_code)
            or (
                non_product_codes.match_type = 'prefix'
                and stock_codes.stock_code like non_product_codes.stock_code || '%'
            )

)

select * from classified
