{#
    Spark SQL variants of the nested-column, unpivot, formatting and aggregation helpers of
    macros/nested.sql and shares.sql (issue #14). Two silent differences are avoided here:
    dbt-spark's listagg ignores its ORDER BY (collect_list keeps whatever order the shuffle
    gives), and Spark's sum has no ORDER BY, so both sort a list of (key, value) structs first;
    size() of NULL is -1 with ANSI mode off, not NULL.
#}

{% macro spark__unnest_rows(column) -%}
    inline({{ column }})
{%- endmacro %}

{% macro spark__join_list(column, separator) -%}
    array_join({{ column }}, '{{ separator }}')
{%- endmacro %}

{% macro spark__list_length(column) -%}
    case when {{ column }} is null then 0 else size({{ column }}) end
{%- endmacro %}

{#
    Every column but the id and `exclude` as (feature, value) rows: the row as a JSON object, read
    back as a map of text (NULLs are left out, as DuckDB's unpivot leaves them out), each value
    cast to double (NULL, and so left out, where it is not a number). No introspection, as on
    DuckDB. Spark writes a double to JSON with the digits that read back to the same double.
#}
{% macro spark__unpivot_values(relation, id_column, exclude=[]) -%}
    select
        {{ id_column }},
        feature,
        value
    from (
        select
            {{ id_column }},
            entry.key as feature,
            try_cast(entry.value as double) as value
        from (
            select
                {{ id_column }},
                explode(map_entries(from_json(to_json(struct(*)), 'map<string,string>'))) as entry
            from {{ relation }}
        ) as entries
        where entry.key not in ({% for name in [id_column] + exclude %}'{{ name }}'{{ ", " if not loop.last }}{% endfor %})
    ) as values_cast
    where value is not null
{%- endmacro %}

{% macro spark__format_number(expression, decimals=0) -%}
    format_number(cast({{ expression }} as double), {{ decimals }})
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{# An ORDER BY clause of listagg as a list of (key expression, is descending). #}
{% macro _spark_order_keys(order_by_clause) -%}
    {%- set text = order_by_clause | trim -%}
    {%- if text.lower().startswith('order by') -%}{%- set text = text[8:] -%}{%- endif -%}
    {%- set keys = [] -%}
    {%- for key in text.split(',') -%}
        {%- set key = key | trim -%}
        {%- if key.lower().endswith(' desc') -%}
            {%- do keys.append((key[:-5] | trim, true)) -%}
        {%- elif key.lower().endswith(' asc') -%}
            {%- do keys.append((key[:-4] | trim, false)) -%}
        {%- else -%}
            {%- do keys.append((key, false)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#
    collect_list of (k1, k2, ..., v) structs sorted by the keys, as DuckDB orders an aggregate:
    NULL keys last in either direction; equal keys keep no particular order (as on DuckDB).
#}
{% macro _spark_sorted_pairs(value, order_by_clause) -%}
    {%- set keys = _spark_order_keys(order_by_clause) -%}
    array_sort(
        collect_list(named_struct(
            {%- for key, descending in keys %}
            'k{{ loop.index }}', {{ key }},
            {%- endfor %}
            'v', {{ value }}
        )),
        (left_pair, right_pair) -> case
            {%- for key, descending in keys %}
            {%- set l = 'left_pair.k' ~ loop.index -%}
            {%- set r = 'right_pair.k' ~ loop.index %}
            when {{ l }} is null and {{ r }} is not null then 1
            when {{ l }} is not null and {{ r }} is null then -1
            when {{ l }} < {{ r }} then {{ 1 if descending else -1 }}
            when {{ l }} > {{ r }} then {{ -1 if descending else 1 }}
            {%- endfor %}
            else 0
        end
    )
{%- endmacro %}

{# dbt.listagg with its ORDER BY kept (dbt-spark's own drops it). NULL measures are skipped. #}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("spark__listagg: limit_num is not supported") }}
    {%- endif -%}
    {%- if order_by_clause -%}
        nullif(array_join(transform({{ _spark_sorted_pairs(measure, order_by_clause) }}, pair -> pair.v), {{ delimiter_text }}), '')
    {%- else -%}
        nullif(array_join(collect_list({{ measure }}), {{ delimiter_text }}), '')
    {%- endif -%}
{%- endmacro %}


{# Spark's sequence(2, 1) counts down where DuckDB's generate_series(2, 1) is empty. #}
{% macro spark__integer_series_rows(start, stop) -%}
    explode(case when {{ start }} <= {{ stop }} then sequence({{ start }}, {{ stop }}) end)
{%- endmacro %}
