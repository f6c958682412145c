{#
    SmartCart’s data-quality report for this build, one row per fact (long form): per input file
    how it was read and what it held (macro data_quality_input_rows: sections file, rows,
    rejected_rows, columns) and the customers accounted for (section customers: every clean row
    is a customer of smartcart_customers; those flagged implausible are kept and left out of
    model fitting). Section summary holds the lines the build prints at its end.
#}

with

{{ data_quality_input_rows(
    formats_model=ref('base_smartcart__file_formats'),
    base_model=ref('base_smartcart__customers'),
    rejected_model=ref('stg_smartcart__rejected_customers'),
    checks_model=ref('base_smartcart__column_checks'),
    row_weight='1',
) }},

clean_customers as (

    select count(*) as customers
    from {{ ref('stg_smartcart__customers') }}

),

mart_customers as (

    select
        count(*) as customers,
        count(*) filter (where is_birth_year_implausible) as implausible_birth_years,
        count(*) filter (where is_income_implausible) as implausible_incomes,
        count(*) filter (where is_income_imputed) as imputed_incomes
    from {{ ref('smartcart_customers') }}

),

customer_facts as (

    select
        601 as report_order,
        'clean rows' as report_item,
        clean_customers.customers as item_count,
        'rows of stg_smartcart__customers' as detail
    from clean_customers
    cross join mart_customers
    union all
    select
        602 as report_order,
        'in smartcart_customers' as report_item,
        mart_customers.customers as item_count,
        'every clean row is a customer of the mart' as detail
    from clean_customers
    cross join mart_customers
    union all
    select
        603 as report_order,
        'implausible birth year' as report_item,
        mart_customers.implausible_birth_years as item_count,
        'kept, left out of model fitting' as detail
    from clean_customers
    cross join mart_customers
    union all
    select
        604 as report_order,
        'implausible income' as report_item,
        mart_customers.implausible_incomes as item_count,
        'kept, left out of model fitting' as detail
    from clean_customers
    cross join mart_customers
    union all
    select
        605 as report_order,
        'income imputed' as report_item,
        mart_customers.imputed_incomes as item_count,
        'empty in the file, imputed' as detail
    from clean_customers
    cross join mart_customers

),

report as (

    select
        report_order,
        report_section,
        report_item,
        source_file_id,
        report_value,
        item_count,
        detail
    from input_rows
    union all
    select
        report_order,
        'customers' as report_section,
        report_item,
        null as source_file_id,
        null as report_value,
        item_count,
        detail
    from customer_facts
    union all
    select
        4 as report_order,
        'summary' as report_section,
        'customers' as report_item,
        null as source_file_id,
        'customers: ' || clean_customers.customers || ' clean rows = ' || mart_customers.customers
        || ' in smartcart_customers (' || mart_customers.implausible_birth_years || ' with an implausible birth year, '
        || mart_customers.implausible_incomes || ' with an implausible income: kept, not fitted)' as report_value,
        mart_customers.customers as item_count,
        null as detail
    from clean_customers
    cross join mart_customers

),

final as (

    select
        cast(report_order as {{ dbt.type_int() }}) as report_order,
        report_section,
        report_item,
        cast(source_file_id as {{ dbt.type_int() }}) as source_file_id,
        report_value,
        cast(item_count as {{ dbt.type_bigint() }}) as item_count,
        detail
    from report

)

select * from final
