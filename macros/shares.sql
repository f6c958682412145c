{# part / whole as a float; NULL when the whole is 0 (a share of nothing is undefined, not 0). #}
{% macro share_of(part, whole) -%}
    cast({{ part }} as {{ dbt.type_float() }}) / nullif(cast({{ whole }} as {{ dbt.type_float() }}), 0)
{%- endmacro %}
