{#
    The retailer’s data-quality report for this build, one row per fact (long form): per input
    file how it was read and what it held (macro data_quality_input_rows: sections file, rows,
    rejected_rows, columns), the stock codes the rules classified (section stock_codes: a count
    per rule, and every code classified by a description rule or by its shape alone, with its
    lines and amount, for someone to add to the seeds), and the customers accounted for
    (section customers). Section summary holds the lines the build prints at its end.
#}

with

{{ data_quality_input_rows(
    formats_model=ref('base_online_retail__file_formats'),
    base_model=ref('base_online_retail__transaction_lines'),
    rejected_model=ref('stg_online_retail__rejected_lines'),
    checks_model=ref('base_online_retail__column_checks'),
    row_weight='line_copies',
) }},

stock_codes as (

    select
        stock_code,
        description,
        line_type,
        classified_by,
        matched_rule,
        clean_lines,
        amount_gbp
    from {{ ref('int_stock_codes_classified') }}

),

customers as (

    select
        customer_id,
        exclusion_reason
    from {{ ref('int_online_retail_customer_lines_summarised') }}

),

rules as (

    select
        classified_by,
        count(*) as codes,
        sum(clean_lines) as clean_lines,
        sum(amount_gbp) as amount_gbp
    from stock_codes
    group by classified_by

),

customer_counts as (

    select
        coalesce(exclusion_reason, 'in_online_retail_customers') as placement,
        count(*) as customers
    from customers
    group by coalesce(exclusion_reason, 'in_online_retail_customers')

),

left_out as (

    select
        sum(customers) as customers,
        {{ dbt.listagg("placement || ' ' || customers", "', '", 'order by placement') }} as by_reason
    from customer_counts
    where placement <> 'in_online_retail_customers'

),

report as (

    select
        report_order,
        report_section,
        report_item,
        source_file_id,
        report_value,
        item_count,
        cast(null as decimal(38, 2)) as amount_gbp,
        detail
    from input_rows
    union all
    select
        500 as report_order,
        'stock_codes' as report_section,
        'classified by ' || classified_by as report_item,
        null as source_file_id,
        null as report_value,
        codes as item_count,
        amount_gbp,
        'codes; ' || clean_lines || ' clean lines' as detail
    from rules
    union all
    select
        510 as report_order,
        'stock_codes' as report_section,
        stock_code as report_item,
        null as source_file_id,
        line_type as report_value,
        clean_lines as item_count,
        amount_gbp,
        classified_by || coalesce(' (' || matched_rule || ')', '') || '; description: '
        || coalesce(description, '<none>') as detail
    from stock_codes
    where classified_by in ('description_rule', 'code_shape_rule')
    union all
    select
        600 as report_order,
        'customers' as report_section,
        'with clean lines' as report_item,
        null as source_file_id,
        null as report_value,
        count(*) as item_count,
        null as amount_gbp,
        'customer ids of stg_online_retail__transactions' as detail
    from customers
    union all
    select
        610 as report_order,
        'customers' as report_section,
        placement as report_item,
        null as source_file_id,
        null as report_value,
        customers as item_count,
        null as amount_gbp,
        case
            when placement = 'in_online_retail_customers' then 'in the customer mart'
            else 'left out (online_retail_customers_left_out)'
        end as detail
    from customer_counts
    union all
    select
        3 as report_order,
        'summary' as report_section,
        'stock_codes' as report_item,
        null as source_file_id,
        'stock codes: '
        || coalesce(sum(codes) filter (where classified_by = 'product_code_shape'), 0) || ' products, '
        || coalesce(sum(codes) filter (where classified_by = 'seed'), 0) || ' by the seed, '
        || coalesce(sum(codes) filter (where classified_by = 'description_rule'), 0) || ' by description rules, '
        || coalesce(sum(codes) filter (where classified_by = 'code_shape_rule'), 0)
        || ' non-product by shape alone (unclassified)' as report_value,
        sum(codes) as item_count,
        null as amount_gbp,
        null as detail
    from rules
    union all
    select
        4 as report_order,
        'summary' as report_section,
        'customers' as report_item,
        null as source_file_id,
        'customers: ' || sum(customer_counts.customers) || ' with clean lines = '
        || coalesce(sum(customer_counts.customers) filter (
            where customer_counts.placement = 'in_online_retail_customers'
        ), 0)
        || ' in online_retail_customers + ' || coalesce(max(left_out.customers), 0) || ' left out'
        || coalesce(' (' || max(left_out.by_reason) || ')', '') as report_value,
        sum(customer_counts.customers) as item_count,
        null as amount_gbp,
        null as detail
    from customer_counts
    cross join left_out

),

final as (

    select
        cast(report_order as {{ dbt.type_int() }}) as report_order,
        report_section,
        report_item,
        cast(source_file_id as {{ dbt.type_int() }}) as source_file_id,
        report_value,
        cast(item_count as {{ dbt.type_bigint() }}) as item_count,
        cast(amount_gbp as decimal(38, 2)) as amount_gbp,
        detail
    from report

)

select * from final
