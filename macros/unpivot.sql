{#
    Long form of a wide relation: one row per id and numeric column, as
    (<id_column>, feature, value). The columns are read from the relation when the model
    runs, so a feature added to a feature table is profiled without editing SQL.
#}
{% macro unpivot_numeric_columns(relation, id_column, exclude=[]) -%}
    {%- set skip = [id_column | lower] + (exclude | map('lower') | list) -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name | lower not in skip and (column.is_numeric() or column.is_float()) -%}
                {%- do columns.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if columns | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as {{ id_column }},
        cast(null as {{ dbt.type_string() }}) as feature,
        cast(null as {{ type_double() }}) as value
    where false
    {%- endif %}
    {%- for column in columns %}
    select
        {{ id_column }},
        '{{ column }}' as feature,
        cast({{ column }} as {{ type_double() }}) as value
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
