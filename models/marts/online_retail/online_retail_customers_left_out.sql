{#
    The retailer’s customers that the customer mart leaves out, with the reason and what their
    lines are (int_online_retail_customer_lines_summarised): customer ids with clean lines but
    no purchase invoice that counts. With online_retail_customers they account for every
    customer id of the clean lines (tested).
#}

with

customers as (

    select * from {{ ref('int_online_retail_customer_lines_summarised') }}
    where exclusion_reason is not null

),

final as (

    select
        customer_id,
        exclusion_reason,
        cast(clean_lines as {{ dbt.type_int() }}) as clean_lines,
        cast(purchase_lines as {{ dbt.type_int() }}) as purchase_lines,
        cast(free_product_lines as {{ dbt.type_int() }}) as free_product_lines,
        cast(return_lines as {{ dbt.type_int() }}) as return_lines,
        cast(non_product_lines as {{ dbt.type_int() }}) as non_product_lines,
        cast(fully_returned_invoices as {{ dbt.type_int() }}) as fully_returned_invoices,
        cast(gross_sales_gbp as decimal(38, 2)) as gross_sales_gbp,
        cast(returned_value_gbp as decimal(38, 2)) as returned_value_gbp,
        cast(non_product_amount_gbp as decimal(38, 2)) as non_product_amount_gbp,
        cast(manual_adjustments_gbp as decimal(38, 2)) as manual_adjustments_gbp,
        cast(net_amount_gbp as decimal(38, 2)) as net_amount_gbp
    from customers

)

select * from final
