{#
    Parsing helpers for staging. Every DuckDB-only function the project uses to read raw text
    lives in this file (and in checks.sql), behind dispatched macros (`duckdb__<name>`), so that
    another engine gets a `<engine>__<name>` variant instead of rewritten models (issue #14).

    How values are read is decided once per file (models base_<source>__file_formats):
    `date_order` ('day_first', 'month_first' or 'year_first') and `decimal_separator` ('point' or
    'comma') are SQL expressions here, usually columns of that model joined to every line.
#}

{# Trimmed text, with blank strings treated as missing. #}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{# True when a raw value is present but could not be parsed (it must not silently become NULL). #}
{% macro failed_to_parse(raw_column, parsed_column) -%}
    ({{ clean_text(raw_column) }} is not null and {{ parsed_column }} is null)
{%- endmacro %}

{#
    The number a raw value writes, as `type` (a double to check range and wholeness, a decimal
    to keep cents exactly), or NULL when it is not a number. Accepted: an optional sign, a
    currency symbol or code before or after (£ $ € GBP USD EUR), digits with the file's decimal
    separator (`decimal_separator`: 'point' or 'comma') and optional thousands separators in
    groups of three (',', spaces or an apostrophe with a decimal point; '.' or spaces with a
    decimal comma): 2.55, £1,234.50, $58,138.00, 2,55, 1.234,56, 58 138,00 €. Never rounded to
    fit (beyond the scale of `type`): callers check range and wholeness.
#}
{% macro parse_number(column, decimal_separator, type) -%}
    {{ return(adapter.dispatch('parse_number', 'custseg')(column, decimal_separator, type)) }}
{%- endmacro %}

{% macro duckdb__parse_number(column, decimal_separator, type) -%}
    {%- set value = clean_text(column) -%}
    coalesce(
        {#- Fast path: a plain number in a decimal-point file (most values of most files). #}
        case when {{ decimal_separator }} = 'point' then try_cast({{ value }} as {{ type }}) end,
        {#- Otherwise the pattern; a decimal-comma value is first written with a point (1.234,5 as 1,234.5). #}
        try_cast(
            {{ _duckdb_number_from_parts(
                "case when " ~ decimal_separator ~ " = 'comma' then translate(" ~ value ~ ", '.,', ',.') else "
                ~ value ~ " end"
            ) }} as {{ type }}
        )
    )
{%- endmacro %}

{# The pattern of a decimal-point number: sign, whole part (thousands separators: ',', spaces, an apostrophe), fraction. #}
{% macro _duckdb_number_from_parts(value) -%}
    {%- set currency = '(?:[£$€]|GBP|USD|EUR)' -%}
    {%- set grammar = "^([-+]?)(\\d{1,3}(?:[, \\x{a0}\\x{202f}'']\\d{3})+|\\d*)(?:\\.(\\d+))?$" -%}
    {%- set stripped -%}
        regexp_replace(regexp_replace({{ value }}, '^([-+]?)\s*{{ currency }}\s*', '\1'), '\s*{{ currency }}$', '')
    {%- endset -%}
    {#- The pattern's groups, bound once (a one-element list comprehension); no match gives ''. #}
    [
        case
            when parts.whole || parts.fraction <> ''
                then parts.sign || coalesce(nullif(regexp_replace(parts.whole, '[^0-9]', '', 'g'), ''), '0')
                || '.' || coalesce(nullif(parts.fraction, ''), '0')
        end
        for parts in [regexp_extract({{ stripped }}, '{{ grammar }}', ['sign', 'whole', 'fraction'])]
    ][1]
{%- endmacro %}

{#
    What a money value says about the file's decimal separator: 'point' (2.55, 1,234.50, 0.001),
    'comma' (2,55, 1.234,50), 'either' (one separator followed by exactly three digits, as in
    1,250 or 1.250: a thousands separator, or three decimals), NULL (a whole number, or not a
    number). A file is read with the separator its values show (model base_*__file_formats).
#}
{% macro decimal_separator_evidence(column) -%}
    {{ return(adapter.dispatch('decimal_separator_evidence', 'custseg')(column)) }}
{%- endmacro %}

{% macro duckdb__decimal_separator_evidence(column) -%}
    {%- set value -%}
        regexp_replace(
            regexp_replace({{ clean_text(column) }}, '^([-+]?)\s*(?:[£$€]|GBP|USD|EUR)\s*', '\1'),
            '\s*(?:[£$€]|GBP|USD|EUR)$', ''
        )
    {%- endset -%}
    case
        when regexp_full_match({{ value }}, '[-+]?[1-9]\d{0,2}[.,]\d{3}') then 'either'
        when regexp_full_match({{ value }}, '[-+]?(?:\d{1,3}(?:[, \x{a0}\x{202f}'']\d{3})+|\d*)\.\d+') then 'point'
        when regexp_full_match({{ value }}, '[-+]?\d{1,3}(?:,\d{3}){2,}') then 'point'
        when regexp_full_match({{ value }}, '[-+]?(?:\d{1,3}(?:[. \x{a0}\x{202f}]\d{3})+|\d*),\d+') then 'comma'
        when regexp_full_match({{ value }}, '[-+]?\d{1,3}(?:\.\d{3}){2,}') then 'comma'
    end
{%- endmacro %}

{#
    An invoice or enrolment timestamp; NULL when it matches no layout (or lands outside the years
    1900-2199, which no date of these files can mean). Layouts:
    - year first, ISO 8601 and the like: 2010-12-01 08:26:00, 2010-12-01T08:26, 2010/12/01, with
      seconds, fractions of a second, or none; with a zone (Z, +01:00, +0100) it is converted to
      UTC, without one it is taken as written;
    - day and month first, in the file's order (`date_order`: 'day_first' or 'month_first'), with
      - / or . between the fields, a 2- or 4-digit year, and a time of H:MM, H:MM:SS, or with
      AM/PM, or none; runs of spaces count as one (12-01-2022  08:45:00).
    `repair_year_shift` (the retailer's files): the international file was shifted by twelve
    years with a text replacement that turned every "10" into "22" and every "11" into "23"
    anywhere in the string, so in that month-first file months 10 and 11 are written 22 and 23:
    in a month-first file, a month of 22 or 23 is read back as 10 or 11 (days, hours and minutes
    written 22/23 are ambiguous, a real 22 or a rewritten 10, and are kept as written).
#}
{% macro parse_timestamp(column, date_order, repair_year_shift=false) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'custseg')(column, date_order, repair_year_shift)) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(column, date_order, repair_year_shift) -%}
    {%- set value = clean_text(column) -%}
    {%- set year_first = [
        '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M',
        '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%d',
        '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d',
    ] -%}
    {%- set spaced = "upper(regexp_replace(" ~ value ~ ", '\\s+', ' ', 'g'))" -%}
    {%- set repaired_month = "regexp_replace(regexp_replace(" ~ spaced ~ ", '^22([-/.])', '10\\1'), '^23([-/.])', '11\\1')" -%}
    {%- set earliest = "timestamp '1900-01-01 00:00:00'" -%}
    {%- set too_late = "timestamp '2200-01-01 00:00:00'" -%}
    {#-
        Day-month layouts first in a file read day or month first (so that 25-03-23 is never
        read as the year 25 by %Y), then year first, then with a zone. The bounds (nullif of
        greatest and least: one evaluation) drop what no layout can mean, such as the year 6 that
        %Y makes of 6/12/13 in a year-first file.
    #}
    nullif(least(nullif(greatest(
        coalesce(
            case {{ date_order }}
                when 'month_first' then coalesce(
                    try_strptime({{ spaced }}, {{ _strptime_list(day_month_layouts('%m', '%d')) }})
                    {%- if repair_year_shift %},
                    try_strptime({{ repaired_month }}, {{ _strptime_list(day_month_layouts('%m', '%d')) }})
                    {%- endif %}
                )
                when 'day_first'
                    then try_strptime({{ spaced }}, {{ _strptime_list(day_month_layouts('%d', '%m')) }})
            end,
            try_strptime({{ value }}, {{ _strptime_list(year_first) }}),
            case
                when regexp_matches({{ value }}, '(?:Z|[+-]\d{2}:?\d{2})$')
                    then timezone('UTC', try_cast({{ value }} as timestamptz))
            end
        ),
        {{ earliest }}), {{ earliest }}), {{ too_late }}), {{ too_late }})
{%- endmacro %}

{# strptime layouts with the day and month first, two-digit years before four-digit ones (a %Y would read 23 as the year 23). #}
{% macro day_month_layouts(first, second) -%}
    {%- set layouts = [] -%}
    {%- for year in ['%y', '%Y'] -%}
        {%- for separator in ['/', '-', '.'] -%}
            {%- for time in [' %H:%M', ' %H:%M:%S', ' %I:%M %p', ' %I:%M:%S %p', ''] -%}
                {%- do layouts.append(first ~ separator ~ second ~ separator ~ year ~ time) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(layouts) }}
{%- endmacro %}

{% macro _strptime_list(layouts) -%}
    [{%- for layout in layouts -%}'{{ layout }}'{{ ", " if not loop.last }}{%- endfor -%}]
{%- endmacro %}

{#
    What a date value says about the file's date order: 'day_first' when only a day-first reading
    is a date (25/03/2023), 'month_first' when only a month-first one is (03/25/2023; with
    `repair_year_shift` also 22/19/23: month 22 is the year-shift rewrite of 10, see
    parse_timestamp), 'either' when both are (03/04/2023), NULL for year-first values and values
    that are no date.
#}
{% macro date_order_evidence(column, repair_year_shift=false) -%}
    {{ return(adapter.dispatch('date_order_evidence', 'custseg')(column, repair_year_shift)) }}
{%- endmacro %}

{% macro duckdb__date_order_evidence(column, repair_year_shift) -%}
    {%- set pattern = "'^(\\d{1,2})[-/.](\\d{1,2})[-/.](?:\\d{2}|\\d{4})(?:[ T]|$)'" -%}
    {%- set repaired = " or fields.first in (22, 23)" if repair_year_shift else "" -%}
    {%- set month_first = "((fields.first between 1 and 12" ~ repaired ~ ") and fields.second between 1 and 31)" -%}
    {%- set day_first = "(fields.second between 1 and 12 and fields.first between 1 and 31)" -%}
    {#- The two fields as numbers, bound once (one-element list comprehensions). #}
    [
        case
            when {{ month_first }} and {{ day_first }} then 'either'
            when {{ month_first }} then 'month_first'
            when {{ day_first }} then 'day_first'
        end
        for fields in [
            {
                'first': try_cast(nullif(matched.first, '') as integer),
                'second': try_cast(nullif(matched.second, '') as integer)
            }
            for matched in [regexp_extract({{ clean_text(column) }}, {{ pattern }}, ['first', 'second'])]
        ]
    ][1]
{%- endmacro %}

{#
    A deterministic key for a raw row: a hash of its fields (plus its occurrence among identical
    rows, added by the caller). `shape`, when given, is (field count, expected field count, first
    extra field) columns: a row whose field count is not the expected one hashes them too (a
    complete row's hash does not change with them).
#}
{% macro raw_row_hash(columns, shape=none) -%}
    md5(concat_ws(
        '|',
        {%- for column in columns %}
        coalesce({{ column }}, '<null>'){{ "," if not loop.last or shape }}
        {%- endfor %}
        {%- if shape %}
        case
            when {{ shape[0] }} <> {{ shape[1] }}
                then 'fields:' || {{ shape[0] }} || ':' || coalesce({{ shape[2] }}, '<null>')
        end
        {%- endif %}
    ))
{%- endmacro %}

{# A customer id as text, with the ".0" that spreadsheet exports add to whole numbers removed. #}
{% macro normalise_customer_id(column) -%}
    {{ return(adapter.dispatch('normalise_customer_id', 'custseg')(column)) }}
{%- endmacro %}

{% macro duckdb__normalise_customer_id(column) -%}
    regexp_replace({{ clean_text(column) }}, '\.0+$', '')
{%- endmacro %}

{#
    Select each raw column as text, named raw_<column in lower case>; an empty field is NULL (a
    field missing from a short row is NULL too: the row's _field_count tells them apart).
#}
{% macro raw_text_columns(columns) -%}
    {%- for column in columns %}
    nullif(cast({{ column }} as {{ dbt.type_string() }}), '') as raw_{{ column | lower }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
