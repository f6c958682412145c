{#
    dbt's cross-database safe_cast falls back to a plain cast on DuckDB, which fails
    the whole query on one bad value. DuckDB's try_cast returns NULL instead, which is
    what staging needs to reject the row with a reason. dbt_project.yml's `dispatch`
    makes dbt.safe_cast find this implementation first.
#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
