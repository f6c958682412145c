{#
    The as-of point from which something dated `date_expression` counts in the segment history:
    the start of the period after it (var segment_history_period: day, week, month, quarter or
    year), or `as_of_date` when that comes first (the last, partial period).
#}
{% macro history_point(date_expression, as_of_date) -%}
    {%- set period = var('segment_history_period') -%}
    {%- if period not in ['day', 'week', 'month', 'quarter', 'year'] -%}
        {{ exceptions.raise_compiler_error(
            "var segment_history_period must be day, week, month, quarter or year, got '" ~ period ~ "'"
        ) }}
    {%- endif -%}
    least(
        cast({{ dbt.dateadd(period, 1, dbt.date_trunc(period, date_expression)) }} as date),
        {{ as_of_date }}
    )
{%- endmacro %}
