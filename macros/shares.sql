{#
    A 64-bit floating-point type. dbt.type_float() is a 32-bit float on DuckDB, too
    coarse for shares that must add up to 1 within 1e-9.
#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'custseg')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}

{# part / whole as a double; NULL when the whole is 0 (a share of nothing is undefined, not 0). #}
{% macro share_of(part, whole) -%}
    cast({{ part }} as {{ type_double() }}) / nullif(cast({{ whole }} as {{ type_double() }}), 0)
{%- endmacro %}

{#
    One share column per part: <part>_share = <part><part_suffix> / whole, comma-separated,
    for select lists that share one denominator.
#}
{% macro share_columns(parts, whole, part_suffix='') -%}
    {%- for part in parts %}
    {{ share_of(part ~ part_suffix, whole) }} as {{ part }}_share{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
