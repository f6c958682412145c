with

rejected as (

    select
        raw_row_id,
        rejection_reason,
        rejection_detail,
        raw_invoiceno,
        raw_stockcode,
        raw_description,
        raw_quantity,
        raw_invoicedate,
        raw_unitprice,
        raw_customerid,
        raw_country
    from {{ ref('base_online_retail__transaction_lines') }}
    where rejection_reason is not null

)

select * from rejected
