{#
    Stopping the build on data it cannot understand, and showing what it saw. DuckDB-only
    functions behind dispatched macros, like parsing.sql.
#}

{#
    A boolean expression that is true when `condition` is false and otherwise stops the query
    with `message` (an SQL text expression): used in a WHERE clause, so that the optimizer cannot
    drop it. The dbt model running it fails with the message, and everything downstream is skipped.
#}
{% macro fail_if(condition, message) -%}
    {{ return(adapter.dispatch('fail_if', 'custseg')(condition, message)) }}
{%- endmacro %}

{% macro duckdb__fail_if(condition, message) -%}
    (case when {{ condition }} then error({{ message }}) else true end)
{%- endmacro %}

{#
    Up to three distinct values of `expression` among the rows where `condition` holds, quoted
    and comma-separated ('a', 'b', 'c'), for messages and reports; NULL when there are none.
    An aggregate; the smallest values, so the same data always shows the same samples.
#}
{% macro sample_values(expression, condition='true') -%}
    {{ return(adapter.dispatch('sample_values', 'custseg')(expression, condition)) }}
{%- endmacro %}

{% macro duckdb__sample_values(expression, condition) -%}
    nullif(
        '''' || array_to_string(
            list_sort(list_distinct(min({{ expression }}, 30) filter (where {{ condition }})))[1:3], ''', '''
        ) || '''',
        ''''''
    )
{%- endmacro %}

{# True when `value` matches the regular expression `pattern` as a whole. #}
{% macro matches_pattern(value, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'custseg')(value, pattern)) }}
{%- endmacro %}

{% macro duckdb__matches_pattern(value, pattern) -%}
    regexp_full_match({{ value }}, {{ pattern }})
{%- endmacro %}

{#
    A description as rules compare it: upper case, every run of characters other than letters
    and digits one space, trimmed ('Dotcomgiftshop Gift Voucher £20.00' -> 'DOTCOMGIFTSHOP GIFT
    VOUCHER 20 00').
#}
{% macro words_of(text) -%}
    {{ return(adapter.dispatch('words_of', 'custseg')(text)) }}
{%- endmacro %}

{% macro duckdb__words_of(text) -%}
    trim(regexp_replace(upper({{ text }}), '[^A-Z0-9]+', ' ', 'g'))
{%- endmacro %}
