{#
    Averages that come out bit-for-bit the same on every run. A sum of doubles depends on
    the order in which the database's threads add the values up; an exact decimal sum does
    not, so a rebuild on the same data gives identical profiles. Values are rounded to 12
    decimals first, far below anything a profile shows.
#}
{% macro exact_avg(expression) -%}
    cast(avg(cast({{ expression }} as decimal(38, 12))) as {{ type_double() }})
{%- endmacro %}

{# Population standard deviation from exact sums of x and x^2. #}
{% macro exact_stddev_pop(expression) -%}
    sqrt(greatest(
        {{ exact_avg('(' ~ expression ~ ') * (' ~ expression ~ ')') }}
        - {{ exact_avg(expression) }} * {{ exact_avg(expression) }},
        0
    ))
{%- endmacro %}
