{#
    Reports how much of the retailer's product revenue the category keyword rules
    cover, and fails when it is below var category_min_revenue_coverage (90%): the row
    returned shows the coverage.
#}

{{ config(severity=var('category_coverage_severity', 'error')) }}

with

products as (

    select
        category,
        sales_gbp
    from {{ ref('online_retail_products') }}

),

coverage as (

    select
        sum(case when category <> 'other' then sales_gbp else 0 end) as covered_sales_gbp,
        sum(sales_gbp) as sales_gbp,
        {{ share_of("sum(case when category <> 'other' then sales_gbp else 0 end)", 'sum(sales_gbp)') }}
            as revenue_coverage
    from products

)

select * from coverage
where revenue_coverage < {{ var('category_min_revenue_coverage') }}
