{#
    Clean transaction lines, each marked as a product line or as one of the
    non-product line types listed in the seed non_product_stock_codes.
#}

with

transactions as (

    select * from {{ ref('stg_online_retail__transactions') }}

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
        transactions.*,
        coalesce(non_product_codes.line_type, 'product') as line_type,
        non_product_codes.stock_code is null as is_product
    from transactions
    left join non_product_codes
        on
            (non_product_codes.match_type = 'exact' and transactions.stock_code = non_product_codes.stock_code)
            or (
                non_product_codes.match_type = 'prefix'
                and transactions.stock_code like non_product_codes.stock_code || '%'
            )

)

select * from classified
