{#
    The rows every source's data-quality report shares (models <source>_data_quality), one
    select of (report_order, report_section, report_item, source_file_id, report_value,
    item_count, detail), per input file:
    - section file: what the file is and how it was read (format, size, encoding, delimiter,
      header line, columns read, columns ignored, date order, decimal separator and how each was
      decided);
    - section rows: raw rows, clean rows, rejected rows (raw = clean + rejected);
    - section rejected_rows: rejected rows by reason;
    - section columns: per checked column, the share of its non-empty values rejected;
    - section summary: one line on the file and one on its rows, which the build prints at its
      end (macro print_data_quality_report).
    `base_model` is the source's base model (rejection_reason NULL for a clean row,
    `row_weight` raw rows a row stands for), `rejected_model` its rejected-rows model (one row per
    rejected raw row, with _file_id).
#}
{% macro data_quality_input_rows(formats_model, base_model, rejected_model, checks_model, row_weight) %}

files as (

    select
        _file_id,
        file_path,
        file_format,
        file_bytes,
        encoding,
        has_byte_order_mark,
        delimiter,
        header_line,
        lines_before_header,
        column_mapping,
        ignored_columns,
        date_order,
        date_order_decided_by,
        day_first_lines,
        month_first_lines,
        ambiguous_date_lines,
        decimal_separator,
        decimal_separator_decided_by,
        decimal_point_lines,
        decimal_comma_lines,
        ambiguous_decimal_lines,
        case delimiter
            when ',' then 'comma'
            when ';' then 'semicolon'
            when chr(9) then 'tab'
            when '|' then 'pipe'
            else delimiter
        end as delimiter_name
    from {{ formats_model }}

),

base_rows as (

    select
        _file_id,
        sum({{ row_weight }}) as raw_rows,
        count(*) filter (where rejection_reason is null) as clean_rows
    from {{ base_model }}
    group by _file_id

),

rejected_by_reason as (

    select
        _file_id,
        rejection_reason,
        count(*) as rejected_rows
    from {{ rejected_model }}
    group by _file_id, rejection_reason

),

rejected_rows as (

    select
        _file_id,
        sum(rejected_rows) as rejected_rows,
        {{ dbt.listagg(
            "rejection_reason || ' ' || rejected_rows", "', '", 'order by rejected_rows desc, rejection_reason'
        ) }} as by_reason
    from rejected_by_reason
    group by _file_id

),

column_checks as (

    select
        _file_id,
        column_name,
        non_empty_lines,
        rejected_lines,
        rejected_share,
        rejected_samples
    from {{ checks_model }}

),

{%- set file_facts = [
    ('path', 'file_path', 'null', 'null'),
    ('format', 'file_format', 'file_bytes', "'bytes on disk'"),
    ('encoding', 'encoding', 'null', "case when has_byte_order_mark then 'with a UTF-8 byte-order mark' end"),
    ('delimiter', 'delimiter_name', 'null', 'null'),
    ('header_line', 'cast(header_line as ' ~ dbt.type_string() ~ ')', 'lines_before_header', "'lines above it, skipped'"),
    ('columns_read', 'column_mapping', 'null', 'null'),
    ('columns_ignored', "nullif(ignored_columns, '')", 'null', 'null'),
    ('date_order', 'date_order', 'null',
        "'decided by ' || date_order_decided_by || '; lines whose date reads only day first ' || day_first_lines"
        ~ " || ', only month first ' || month_first_lines || ', both ways ' || ambiguous_date_lines"),
    ('decimal_separator', 'decimal_separator', 'null',
        "'decided by ' || decimal_separator_decided_by || '; money values with a decimal point '"
        ~ " || decimal_point_lines || ', a decimal comma ' || decimal_comma_lines || ', either '"
        ~ " || ambiguous_decimal_lines"),
] %}

file_facts as (
    {%- for fact, value, count, detail in file_facts %}

    select
        {{ 100 + loop.index }} as report_order,
        'file' as report_section,
        '{{ fact }}' as report_item,
        _file_id as source_file_id,
        {{ value }} as report_value,
        cast({{ count }} as {{ dbt.type_bigint() }}) as item_count,
        {{ detail }} as detail
    from files
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

row_counts as (

    select
        base_rows._file_id,
        base_rows.raw_rows,
        base_rows.clean_rows,
        coalesce(rejected_rows.rejected_rows, 0) as rejected_rows,
        rejected_rows.by_reason
    from base_rows
    left join rejected_rows
        on base_rows._file_id = rejected_rows._file_id

),

input_rows as (

    select * from file_facts
    union all
    {%- for item, count, detail in [
        ('raw', 'raw_rows', "'rows read from the file'"),
        ('clean', 'clean_rows', "'rows in the staging model'"),
        ('rejected', 'rejected_rows',
            "'rows in the rejected-rows model; raw = clean + rejected: '"
            ~ " || case when raw_rows = clean_rows + rejected_rows then 'yes' else 'NO' end"),
    ] %}
    select
        {{ 200 + loop.index }} as report_order,
        'rows' as report_section,
        '{{ item }}' as report_item,
        _file_id as source_file_id,
        null as report_value,
        cast({{ count }} as {{ dbt.type_bigint() }}) as item_count,
        {{ detail }} as detail
    from row_counts
    union all
    {%- endfor %}
    select
        300 as report_order,
        'rejected_rows' as report_section,
        rejection_reason as report_item,
        _file_id as source_file_id,
        null as report_value,
        cast(rejected_rows as {{ dbt.type_bigint() }}) as item_count,
        null as detail
    from rejected_by_reason
    union all
    select
        400 as report_order,
        'columns' as report_section,
        column_name as report_item,
        _file_id as source_file_id,
        cast(round(100 * coalesce(rejected_share, 0), 3) as {{ dbt.type_string() }}) || ' % rejected' as report_value,
        cast(rejected_lines as {{ dbt.type_bigint() }}) as item_count,
        'of ' || non_empty_lines || ' non-empty values' || coalesce('; e.g. ' || rejected_samples, '') as detail
    from column_checks
    union all
    select
        1 as report_order,
        'summary' as report_section,
        'file' as report_item,
        files._file_id as source_file_id,
        'file ' || files.file_path || ': ' || files.file_format || ', ' || files.encoding
        || coalesce(', ' || files.delimiter_name || '-delimited', '')
        || ', dates ' || replace(files.date_order, '_', ' ') || ' (' || files.date_order_decided_by || ')'
        || ', decimal ' || files.decimal_separator || ' (' || files.decimal_separator_decided_by || ')'
        as report_value,
        null as item_count,
        null as detail
    from files
    union all
    select
        2 as report_order,
        'summary' as report_section,
        'rows' as report_item,
        _file_id as source_file_id,
        'rows: ' || raw_rows || ' raw = ' || clean_rows || ' clean + ' || rejected_rows || ' rejected'
        || coalesce(' (' || by_reason || ')', '') as report_value,
        cast(raw_rows as {{ dbt.type_bigint() }}) as item_count,
        null as detail
    from row_counts

)

{% endmacro %}


{#
    Run at the end of every dbt command (on-run-end): print the summary lines of the data-quality
    report of every source whose report this command built, so that a build shows what it read
    and what it rejected. A report that was not built this time is not printed (it would be a
    previous build's).
#}
{% macro print_data_quality_report(results) %}
    {%- if execute -%}
        {%- for result in results if result.node.resource_type == 'model' and result.status == 'success'
            and result.node.name.endswith('_data_quality') -%}
            {%- set relation = api.Relation.create(
                database=result.node.database, schema=result.node.schema, identifier=result.node.alias
            ) -%}
            {%- set lines = run_query(
                "select report_value from " ~ relation ~ " where report_section = 'summary'"
                ~ " order by report_order, source_file_id"
            ) -%}
            {{ log("Data quality, " ~ result.node.name ~ ":", info=True) }}
            {%- for line in lines.columns[0].values() %}
                {{ log("  " ~ line, info=True) }}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
