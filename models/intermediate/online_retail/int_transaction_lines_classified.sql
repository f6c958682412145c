{#
    Clean transaction lines, each classified by its stock code (int_stock_codes_classified:
    a product, or a non-product line type), with the flags every purchase measure reads, so
    that "a purchase" means the same thing everywhere:
    - a purchase line is a product line that is not a return and has a price above 0 (free
      lines never make a purchase);
    - a product return is a product line that is a return (a cancellation or a negative
      quantity);
    - a manual adjustment is a line of type manual_adjustment (the M code: price corrections
      and credits), which the customer marts net into what the customer spent.
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
        stock_codes.is_product,
        stock_codes.is_product and not transactions.is_return and transactions.unit_price_gbp > 0
            as is_purchase_line,
        stock_codes.is_product and transactions.is_return as is_product_return,
        stock_codes.line_type = 'manual_adjustment' as is_manual_adjustment
    from transactions
    inner join stock_codes
        on transactions.stock_code = stock_codes.stock_code

)

select * from classified
