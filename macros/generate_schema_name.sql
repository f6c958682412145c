{#
    Use the folder's schema as is (staging, intermediate, marts, seeds) instead of
    dbt's default "<target schema>_<custom schema>", so BI users see stable names.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
