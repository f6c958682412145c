{#
    Spark SQL variants of the parsing and check helpers of macros/parsing.sql and checks.sql
    (issue #14). dbt-spark runs with ANSI mode off, where some DuckDB SQL runs and silently gives
    another answer; each variant here avoids one of them (tests/singular/assert_portable_sql.sql
    checks every one on the engine it runs on):
    - Spark unescapes backslashes in string literals ('\.' is '.', so '\.0+$' matches '500'):
      every backslash of a regular expression is written twice here;
    - regexp_replace replaces every match and its fourth argument is a position (DuckDB's 'g'
      flag there makes the result NULL): no flag;
    - a replacement refers to a group as $1 (Java), not \1;
    - regexp_extract gives '' when nothing matches (as DuckDB's struct form does) and takes one
      group per call.
#}

{% macro _spark_strip_currency(value) -%}
    regexp_replace(
        regexp_replace({{ value }}, '^([-+]?)\\s*(?:[£$€]|GBP|USD|EUR)\\s*', '$1'),
        '\\s*(?:[£$€]|GBP|USD|EUR)$', ''
    )
{%- endmacro %}

{% macro spark__parse_number(column, decimal_separator, type) -%}
    {%- set value = clean_text(column) -%}
    {%- set written -%}
        {{ _spark_strip_currency(
            "case when " ~ decimal_separator ~ " = 'comma' then translate(" ~ value ~ ", '.,', ',.') else "
            ~ value ~ " end"
        ) }}
    {%- endset -%}
    {%- set grammar = "^([-+]?)(\\\\d{1,3}(?:[, \\\\x{a0}\\\\x{202f}'']\\\\d{3})+|\\\\d*)(?:\\\\.(\\\\d+))?$" -%}
    coalesce(
        case when {{ decimal_separator }} = 'point' then try_cast({{ value }} as {{ type }}) end,
        try_cast(
            case
                when regexp_extract({{ written }}, '{{ grammar }}', 2) || regexp_extract({{ written }}, '{{ grammar }}', 3) <> ''
                    then regexp_extract({{ written }}, '{{ grammar }}', 1)
                    || coalesce(nullif(regexp_replace(regexp_extract({{ written }}, '{{ grammar }}', 2), '[^0-9]', ''), ''), '0')
                    || '.' || coalesce(nullif(regexp_extract({{ written }}, '{{ grammar }}', 3), ''), '0')
            end as {{ type }}
        )
    )
{%- endmacro %}

{% macro spark__decimal_separator_evidence(column) -%}
    {%- set value = _spark_strip_currency(clean_text(column)) -%}
    case
        when {{ value }} rlike '^[-+]?[1-9]\\d{0,2}[.,]\\d{3}$' then 'either'
        when {{ value }} rlike '^[-+]?(?:\\d{1,3}(?:[, \\x{a0}\\x{202f}'']\\d{3})+|\\d*)\\.\\d+$' then 'point'
        when {{ value }} rlike '^[-+]?\\d{1,3}(?:,\\d{3}){2,}$' then 'point'
        when {{ value }} rlike '^[-+]?(?:\\d{1,3}(?:[. \\x{a0}\\x{202f}]\\d{3})+|\\d*),\\d+$' then 'comma'
        when {{ value }} rlike '^[-+]?\\d{1,3}(?:\\.\\d{3}){2,}$' then 'comma'
    end
{%- endmacro %}

{#
    The layouts of duckdb__parse_timestamp in Spark's datetime patterns, tried in the same order.
    Spark's single letters (M, d, H, h, m, s) read one or two digits, as strptime's %m does.
#}
{% macro _spark_day_month_layouts(first, second) -%}
    {%- set layouts = [] -%}
    {%- for year in ['yy', 'yyyy'] -%}
        {%- for separator in ['/', '-', '.'] -%}
            {%- for time in [' H:m', ' H:m:s', ' h:m a', ' h:m:s a', ''] -%}
                {%- do layouts.append(first ~ separator ~ second ~ separator ~ year ~ time) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(layouts) }}
{%- endmacro %}

{% macro _spark_try_layouts(value, layouts) -%}
    coalesce(
        {%- for layout in layouts %}
        try_to_timestamp({{ value }}, '{{ layout }}'){{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro spark__parse_timestamp(column, date_order, repair_year_shift) -%}
    {%- set value = clean_text(column) -%}
    {%- set year_first = [
        'yyyy-M-d H:m:s', 'yyyy-M-d H:m', "yyyy-M-d''T''H:m:s", "yyyy-M-d''T''H:m",
        'yyyy-M-d H:m:s.SSSSSS', "yyyy-M-d''T''H:m:s.SSSSSS", 'yyyy-M-d',
        'yyyy/M/d H:m:s', 'yyyy/M/d H:m', 'yyyy/M/d',
    ] -%}
    {%- set spaced = "upper(regexp_replace(" ~ value ~ ", '\\\\s+', ' '))" -%}
    {%- set repaired_month = "regexp_replace(regexp_replace(" ~ spaced ~ ", '^22([-/.])', '10$1'), '^23([-/.])', '11$1')" -%}
    {%- set earliest = "timestamp '1900-01-01 00:00:00'" -%}
    {%- set too_late = "timestamp '2200-01-01 00:00:00'" -%}
    {%- set parsed -%}
        coalesce(
            case {{ date_order }}
                when 'month_first' then coalesce(
                    {{ _spark_try_layouts(spaced, _spark_day_month_layouts('M', 'd')) }}
                    {%- if repair_year_shift %},
                    {{ _spark_try_layouts(repaired_month, _spark_day_month_layouts('M', 'd')) }}
                    {%- endif %}
                )
                when 'day_first'
                    then {{ _spark_try_layouts(spaced, _spark_day_month_layouts('d', 'M')) }}
            end,
            {{ _spark_try_layouts(value, year_first) }},
            case
                when {{ value }} rlike '(?:Z|[+-]\\d{2}:?\\d{2})$' then try_cast({{ value }} as timestamp)
            end
        )
    {%- endset -%}
    nullif(least(nullif(greatest({{ parsed }}, {{ earliest }}), {{ earliest }}), {{ too_late }}), {{ too_late }})
{%- endmacro %}

{% macro spark__date_order_evidence(column, repair_year_shift) -%}
    {%- set pattern = "'^(\\\\d{1,2})[-/.](\\\\d{1,2})[-/.](?:\\\\d{2}|\\\\d{4})(?:[ T]|$)'" -%}
    {%- set first = "try_cast(nullif(regexp_extract(" ~ clean_text(column) ~ ", " ~ pattern ~ ", 1), '') as int)" -%}
    {%- set second = "try_cast(nullif(regexp_extract(" ~ clean_text(column) ~ ", " ~ pattern ~ ", 2), '') as int)" -%}
    {%- set repaired = " or " ~ first ~ " in (22, 23)" if repair_year_shift else "" -%}
    {%- set month_first = "((" ~ first ~ " between 1 and 12" ~ repaired ~ ") and " ~ second ~ " between 1 and 31)" -%}
    {%- set day_first = "(" ~ second ~ " between 1 and 12 and " ~ first ~ " between 1 and 31)" -%}
    case
        when {{ month_first }} and {{ day_first }} then 'either'
        when {{ month_first }} then 'month_first'
        when {{ day_first }} then 'day_first'
    end
{%- endmacro %}

{# '[.]', not '\.': Spark would read '\.0+$' as '.0+$' and turn '12500' into '12'. #}
{% macro spark__normalise_customer_id(column) -%}
    regexp_replace({{ clean_text(column) }}, '[.]0+$', '')
{%- endmacro %}

{% macro spark__fail_if(condition, message) -%}
    (case when {{ condition }} then raise_error({{ message }}) else true end)
{%- endmacro %}

{# The three smallest distinct values, as duckdb__sample_values. #}
{% macro spark__sample_values(expression, condition) -%}
    nullif(
        '''' || array_join(
            slice(array_sort(collect_set({{ expression }}) filter (where {{ condition }})), 1, 3), ''', '''
        ) || '''',
        ''''''
    )
{%- endmacro %}

{% macro spark__matches_pattern(value, pattern) -%}
    ({{ value }} rlike concat('^(?:', {{ pattern }}, ')$'))
{%- endmacro %}

{% macro spark__words_of(text) -%}
    trim(regexp_replace(upper({{ text }}), '[^A-Z0-9]+', ' '))
{%- endmacro %}

{# Spark's cast to integer truncates '1.5' to 1 with ANSI off; try_cast refuses it, as DuckDB does. #}
{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
