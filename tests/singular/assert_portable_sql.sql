{#
    The SQL that reads differently on another engine, checked on the engine this build runs on
    (DuckDB, or Spark with ./scripts/spark.sh): fails on each case whose answer is not the
    expected one. Each case is a silent wrong answer seen when DuckDB's SQL ran as-is on Spark
    (issue #14; macros/spark/): a regular expression with a backslash ('\.0+$' turned the id
    12500 into 12), the 'g' flag of regexp_replace (NULL on Spark), a \1 back-reference in a
    replacement ($1 on Spark), and an aggregate's ORDER BY (dropped by dbt-spark's listagg).
#}

with

letters as (

    select
        'b' as letter,
        2 as letter_order
    union all
    select
        'd' as letter,
        4 as letter_order
    union all
    select
        'a' as letter,
        1 as letter_order
    union all
    select
        'c' as letter,
        3 as letter_order

),

ordered_lists as (

    select
        {{ dbt.listagg('letter', "','", 'order by letter_order') }} as ascending,
        {{ dbt.listagg('letter', "','", 'order by letter_order desc') }} as descending
    from letters

),

cases as (

    select
        'customer id without a decimal point keeps its zeros' as case_name,
        {{ normalise_customer_id("'12500'") }} as actual,
        '12500' as expected
    union all
    select
        'customer id written as a decimal loses only .0' as case_name,
        {{ normalise_customer_id("'12500.0'") }} as actual,
        '12500' as expected
    union all
    select
        'every run of other characters is one space' as case_name,
        {{ words_of("'Dotcomgiftshop Gift  Voucher £20.00'") }} as actual,
        'DOTCOMGIFTSHOP GIFT VOUCHER 20 00' as expected
    union all
    select
        'a sign before a currency symbol is kept' as case_name,
        cast({{ parse_number("'-£1,234.50'", "'point'", 'decimal(18, 2)') }} as {{ dbt.type_string() }}) as actual,
        '-1234.50' as expected
    union all
    select
        'a decimal comma' as case_name,
        cast({{ parse_number("'1.234,5 €'", "'comma'", 'decimal(18, 2)') }} as {{ dbt.type_string() }}) as actual,
        '1234.50' as expected
    union all
    select
        'a month-first date with a two-digit year' as case_name,
        cast({{ parse_timestamp("'12/01/22  22:38'", "'month_first'") }} as {{ dbt.type_string() }}) as actual,
        '2022-12-01 22:38:00' as expected
    union all
    select
        'a day-first date with seconds' as case_name,
        cast({{ parse_timestamp("'25-03-2023 08:05:09'", "'day_first'") }} as {{ dbt.type_string() }}) as actual,
        '2023-03-25 08:05:09' as expected
    union all
    select
        'listagg keeps its order' as case_name,
        ascending as actual,
        'a,b,c,d' as expected
    from ordered_lists
    union all
    select
        'listagg keeps a descending order' as case_name,
        descending as actual,
        'd,c,b,a' as expected
    from ordered_lists

)

select * from cases
where actual is null or actual <> expected
