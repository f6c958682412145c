{#
    The daily time spine of MetricFlow: one row per day from 2000-01-01 to 2039-12-31, wider
    than any date in either source (the time dimension of the measures is the as-of date).
#}

with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('2000-01-01' as date)",
        "cast('2040-01-01' as date)"
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
