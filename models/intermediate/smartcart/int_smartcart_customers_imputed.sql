{#
    Clean SmartCart customers with missing incomes imputed: the median income of
    customers with the same education level, among incomes that are present and
    plausible (falling back to the median of all such incomes). Imputed rows are
    flagged (is_income_imputed) and keep their place in every mart.
#}

with

customers as (

    select * from {{ ref('stg_smartcart__customers') }}

),

plausible_incomes as (

    select
        education_level,
        income
    from customers
    where income is not null and not is_income_implausible

),

median_by_education as (

    select
        education_level,
        percentile_cont(0.5) within group (order by income) as median_income
    from plausible_incomes
    group by education_level

),

overall_median as (

    select percentile_cont(0.5) within group (order by income) as median_income
    from plausible_incomes

),

imputed as (

    select
        customers.*,
        customers.is_income_missing as is_income_imputed,
        cast(
            coalesce(
                customers.income,
                median_by_education.median_income,
                overall_median.median_income
            ) as decimal(18, 2)
        ) as income_imputed
    from customers
    left join median_by_education
        on customers.education_level = median_by_education.education_level
    cross join overall_median

)

select * from imputed
