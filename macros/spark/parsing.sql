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

{#
    As duckdb__parse_number. The value as written with a point is bound once, as `written`, in a
    one-element transform (as DuckDB's binds the pattern's groups with a list comprehension): the
    expression stays small, which Spark plans much faster when many columns are parsed.
#}
{% macro spark__parse_number(column, decimal_separator, type) -%}
    {%- set value = clean_text(column) -%}
    {%- set grammar = "'^([-+]?)(\\\\d{1,3}(?:[, \\\\x{a0}\\\\x{202f}'']\\\\d{3})+|\\\\d*)(?:\\\\.(\\\\d+))?$'" -%}
    coalesce(
        case when {{ decimal_separator }} = 'point' then try_cast({{ value }} as {{ type }}) end,
        try_cast(
            transform(
                array({{ _spark_strip_currency(
                    "case when " ~ decimal_separator ~ " = 'comma' then translate(" ~ value ~ ", '.,', ',.') else "
                    ~ value ~ " end"
                ) }}),
                written -> case
                    when regexp_extract(written, {{ grammar }}, 2) || regexp_extract(written, {{ grammar }}, 3) <> ''
                        then regexp_extract(written, {{ grammar }}, 1)
                        || coalesce(nullif(regexp_replace(regexp_extract(written, {{ grammar }}, 2), '[^0-9]', ''), ''), '0')
                        || '.' || coalesce(nullif(regexp_extract(written, {{ grammar }}, 3), ''), '0')
                end
            )[0] as {{ type }}
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
    As duckdb__parse_timestamp, with the same layouts written as Spark datetime patterns: Spark's
    single letters (M, d, H, h, m, s) read one or two digits as strptime's do, and an optional
    section ([...]) stands for the layouts with and without a time, or seconds. A day-month value
    whose two separators are the same (- / or .) is read with '/', so one pattern serves all three.
    The cleaned value is bound once (a one-element transform), which keeps the expression small.
#}
{% macro _spark_day_month_patterns(first, second) -%}
    {%- set patterns = [] -%}
    {%- for year in ['yy', 'yyyy'] -%}
        {%- do patterns.append(first ~ '/' ~ second ~ '/' ~ year ~ '[ H:m[:s]]') -%}
        {%- do patterns.append(first ~ '/' ~ second ~ '/' ~ year ~ ' h:m[:s] a') -%}
    {%- endfor -%}
    {{ return(patterns) }}
{%- endmacro %}

{% macro _spark_try_patterns(value, patterns) -%}
    coalesce(
        {%- for pattern in patterns %}
        try_to_timestamp({{ value }}, '{{ pattern }}'){{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro spark__parse_timestamp(column, date_order, repair_year_shift) -%}
    {%- set year_first = [
        'yyyy-M-d[ H:m[:s[.SSSSSS]]]', "yyyy-M-d''T''H:m[:s[.SSSSSS]]", 'yyyy/M/d[ H:m[:s]]',
    ] -%}
    {%- set earliest = "timestamp '1900-01-01 00:00:00'" -%}
    {%- set too_late = "timestamp '2200-01-01 00:00:00'" -%}
    {#- day_month: upper case, runs of spaces as one, and the separators as '/' when both are the same. #}
    {%- set day_month -%}
        regexp_replace(
            upper(regexp_replace(cleaned, '\\s+', ' ')),
            '^(\\d{1,2})([-/.])(\\d{1,2})\\2(\\d{2}|\\d{4})(?=\\s|$)', '$1/$3/$4'
        )
    {%- endset -%}
    transform(array({{ clean_text(column) }}), cleaned -> transform(array({{ day_month }}), day_month -> nullif(least(nullif(greatest(
        coalesce(
            case {{ date_order }}
                when 'month_first' then coalesce(
                    {{ _spark_try_patterns('day_month', _spark_day_month_patterns('M', 'd')) }}
                    {%- if repair_year_shift %},
                    {{ _spark_try_patterns(
                        "regexp_replace(regexp_replace(day_month, '^22/', '10/'), '^23/', '11/')",
                        _spark_day_month_patterns('M', 'd')
                    ) }}
                    {%- endif %}
                )
                when 'day_first' then {{ _spark_try_patterns('day_month', _spark_day_month_patterns('d', 'M')) }}
            end,
            {{ _spark_try_patterns('cleaned', year_first) }},
            case when cleaned rlike '(?:Z|[+-]\\d{2}:?\\d{2})$' then try_cast(cleaned as timestamp) end
        ),
        {{ earliest }}), {{ earliest }}), {{ too_late }}), {{ too_late }}))[0])[0]
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
