{#
    Clean transaction lines, each marked as a product line or as one of the
    non-product line types listed in the seed non_product_stock_codes (classified per
    stock code in int_stock_codes_classified).
#}

with

transactions as (

    select * from {{ ref('stg_online_retail__transactions') }}

),

stock_codes as (

    select
        stock_code,
        line_type,
        is_product
    from {{ ref('int_stock_codes_classified') }}

),

classified as (

    select
        transactions.*,
        stock_codes.line_type,
        stock_codes.is_product
    from transactions
    inner join stock_codes
        on transactions.stock_code = stock_codes.stock_code

)

select * from classified
