{#
    Parsing helpers for staging. Every DuckDB-only function the project uses to
    read raw text lives in this file, so that moving to another warehouse means
    rewriting these macros, not the models.
#}

{# Trimmed text, with blank strings treated as missing. #}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{# True when a raw value is present but could not be parsed (it must not silently become NULL). #}
{% macro failed_to_parse(raw_column, parsed_column) -%}
    ({{ clean_text(raw_column) }} is not null and {{ parsed_column }} is null)
{%- endmacro %}

{# A dd-mm-yyyy date (SmartCart's Dt_Customer); NULL when it does not parse. #}
{% macro parse_day_month_year(column) -%}
    cast(try_strptime({{ clean_text(column) }}, '%d-%m-%Y') as date)
{%- endmacro %}

{#
    An invoice timestamp as the retailer's files write it: ISO (2011-12-09 12:50:00)
    in the full file; month first in six layouts in the international file
    (12-01-2022 08:45, 12-01-2022  08:45:00, 9/30/23 9:25, ...).

    The international file was shifted by twelve years with a text replacement that
    turned every "10" into "22" and every "11" into "23" anywhere in the string, so
    months 10 and 11 are written 22 and 23. A month of 22 or 23 is read back as 10 or
    11; days, hours and minutes of 22/23 are ambiguous (a real 22 or a rewritten 10)
    and are kept as written. NULL when nothing parses.
#}
{% macro parse_invoice_timestamp(column) -%}
    coalesce(
        try_strptime(
            {{ clean_text(column) }},
            ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S']
        ),
        try_strptime(
            regexp_replace(
                regexp_replace(
                    regexp_replace({{ clean_text(column) }}, '\s+', ' ', 'g'),
                    '^22([-/])', '10\1'
                ),
                '^23([-/])', '11\1'
            ),
            ['%m-%d-%Y %H:%M', '%m-%d-%Y %H:%M:%S', '%m/%d/%y %H:%M', '%m/%d/%y %H:%M:%S']
        )
    )
{%- endmacro %}

{# A deterministic key for a raw row: a hash of its fields plus its occurrence among identical rows. #}
{% macro raw_row_hash(columns) -%}
    md5(concat_ws(
        '|',
        {%- for column in columns %}
        coalesce({{ column }}, '<null>'){{ "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{# A customer id as text, with the ".0" that spreadsheet exports add to whole numbers removed. #}
{% macro normalise_customer_id(column) -%}
    regexp_replace({{ clean_text(column) }}, '\.0+$', '')
{%- endmacro %}

{# Select each raw column as text, named raw_<column in lower case>. #}
{% macro raw_text_columns(columns) -%}
    {%- for column in columns %}
    cast({{ column }} as {{ dbt.type_string() }}) as raw_{{ column | lower }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
