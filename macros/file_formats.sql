{#
    The body of the models base_<source>__file_formats: one row per input file, with how it is
    read (the hook's `<table>_files` row) and how its dates and numbers are read, decided from its
    values, once per file, in one scan of the date and money columns (distinct values are
    classified, counted in lines):

    - date order: the setting <prefix>_DATE_ORDER when it is day_first or month_first; else
      'day_first' when some dates can only be read day first (a first field above 12) and none
      only month first, 'month_first' the other way round, 'year_first' when no date has the day
      and month first (ISO files); NULL (a problem that stops the build) when the file mixes both
      or when every day-month date reads both ways (both fields 12 or less);
    - decimal separator of the money columns: the setting <prefix>_DECIMAL_SEPARATOR when it is
      point or comma; else what the values show (2.55, 1,234.50: point; 2,55, 1.234,50: comma),
      'point' when no value has decimals; NULL (a problem) when the values show both, or only
      amounts like 1,250 that read as a thousands separator or as three decimals.

    input_problem says what could not be decided, with the column, the file, sample values and the
    setting to use; base_<source>__* models stop the build on it (macro fail_if), so nothing is
    read in an order or format that was guessed. Evidence is counted in lines.
    `new_files_only`: only the files the (incremental) model does not hold yet, or holds with
    other `same_columns` (macro new_input_files_only). raw_rows: the file's rows as read (the
    accounting test checks raw = clean + rejected against it, per file).
    `repair_year_shift`: months written 22/23 count as 10/11 (the retailer's files, see
    parse_timestamp).
#}
{% macro input_file_formats(
    lines_relation, files_relation, date_column, money_columns, repair_year_shift=false, new_files_only=false,
    same_columns=()
) %}

with

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
        header_fields,
        column_mapping,
        ignored_columns,
        setting_prefix,
        date_order_setting,
        decimal_separator_setting,
        file_sha256,
        duplicate_paths
    from {{ files_relation }}
    {%- if new_files_only %}
    where {{ new_input_files_only(files_relation=files_relation, same_columns=same_columns) }}
    {%- endif %}

),

lines as (

    select
        _file_id,
        {{ clean_text(date_column) }} as date_value,
        {%- for column in money_columns %}
            {{ clean_text(column) }} as money_value_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ lines_relation }}
    {%- if new_files_only %}
    where {{ new_input_files_only(files_relation=files_relation, same_columns=same_columns) }}
    {%- endif %}

),

row_counts as (

    select
        _file_id,
        count(*) as raw_rows
    from lines
    group by _file_id

),

{# One scan of the file: DuckDB materialises `lines`, read by every branch. #}
column_values as (

    select
        _file_id,
        'date' as value_kind,
        date_value as value_text
    from lines
    {%- for column in money_columns %}
    union all
    select
        _file_id,
        'money' as value_kind,
        money_value_{{ loop.index }} as value_text
    from lines
    {%- endfor %}

),

value_counts as (

    select
        _file_id,
        value_kind,
        value_text,
        count(*) as line_count
    from column_values
    where value_text is not null
    group by _file_id, value_kind, value_text

),

date_values as (

    select
        _file_id,
        value_text as date_value,
        line_count,
        {{ date_order_evidence('value_text', repair_year_shift) }} as evidence
    from value_counts
    where value_kind = 'date'

),

money_values as (

    select
        _file_id,
        value_text as money_value,
        line_count,
        {{ decimal_separator_evidence('value_text') }} as evidence
    from value_counts
    where value_kind = 'money'

),

date_evidence as (

    select
        _file_id,
        coalesce(sum(line_count) filter (where evidence = 'day_first'), 0) as day_first_lines,
        coalesce(sum(line_count) filter (where evidence = 'month_first'), 0) as month_first_lines,
        coalesce(sum(line_count) filter (where evidence = 'either'), 0) as ambiguous_date_lines,
        {{ sample_values('date_value', "evidence = 'day_first'") }} as day_first_samples,
        {{ sample_values('date_value', "evidence = 'month_first'") }} as month_first_samples,
        {{ sample_values('date_value', "evidence = 'either'") }} as ambiguous_date_samples
    from date_values
    group by _file_id

),

money_evidence as (

    select
        _file_id,
        coalesce(sum(line_count) filter (where evidence = 'point'), 0) as decimal_point_lines,
        coalesce(sum(line_count) filter (where evidence = 'comma'), 0) as decimal_comma_lines,
        coalesce(sum(line_count) filter (where evidence = 'either'), 0) as ambiguous_decimal_lines,
        {{ sample_values('money_value', "evidence = 'point'") }} as decimal_point_samples,
        {{ sample_values('money_value', "evidence = 'comma'") }} as decimal_comma_samples,
        {{ sample_values('money_value', "evidence = 'either'") }} as ambiguous_decimal_samples
    from money_values
    group by _file_id

),

evidence as (

    select
        files.*,
        coalesce(row_counts.raw_rows, 0) as raw_rows,
        coalesce(date_evidence.day_first_lines, 0) as day_first_lines,
        coalesce(date_evidence.month_first_lines, 0) as month_first_lines,
        coalesce(date_evidence.ambiguous_date_lines, 0) as ambiguous_date_lines,
        date_evidence.day_first_samples,
        date_evidence.month_first_samples,
        date_evidence.ambiguous_date_samples,
        coalesce(money_evidence.decimal_point_lines, 0) as decimal_point_lines,
        coalesce(money_evidence.decimal_comma_lines, 0) as decimal_comma_lines,
        coalesce(money_evidence.ambiguous_decimal_lines, 0) as ambiguous_decimal_lines,
        money_evidence.decimal_point_samples,
        money_evidence.decimal_comma_samples,
        money_evidence.ambiguous_decimal_samples
    from files
    left join row_counts
        on files._file_id = row_counts._file_id
    left join date_evidence
        on files._file_id = date_evidence._file_id
    left join money_evidence
        on files._file_id = money_evidence._file_id

),

decided as (

    select
        *,
        case
            when date_order_setting in ('day_first', 'month_first') then date_order_setting
            when day_first_lines > 0 and month_first_lines > 0 then null
            when day_first_lines > 0 then 'day_first'
            when month_first_lines > 0 then 'month_first'
            when ambiguous_date_lines > 0 then null
            else 'year_first'
        end as date_order,
        case
            when date_order_setting in ('day_first', 'month_first') then 'setting'
            when day_first_lines > 0 and month_first_lines > 0 then 'undecided: both orders'
            when day_first_lines > 0 or month_first_lines > 0 then 'values'
            when ambiguous_date_lines > 0 then 'undecided: every date reads both ways'
            else 'no day-month dates'
        end as date_order_decided_by,
        case
            when decimal_separator_setting in ('point', 'comma') then decimal_separator_setting
            when decimal_point_lines > 0 and decimal_comma_lines > 0 then null
            when decimal_point_lines > 0 then 'point'
            when decimal_comma_lines > 0 then 'comma'
            when ambiguous_decimal_lines > 0 then null
            else 'point'
        end as decimal_separator,
        case
            when decimal_separator_setting in ('point', 'comma') then 'setting'
            when decimal_point_lines > 0 and decimal_comma_lines > 0 then 'undecided: both separators'
            when decimal_point_lines > 0 or decimal_comma_lines > 0 then 'values'
            when ambiguous_decimal_lines > 0 then 'undecided: every decimal reads both ways'
            else 'no decimals'
        end as decimal_separator_decided_by
    from evidence

),

final as (

    select
        *,
        nullif(concat_ws(
            '; ',
            case
                when date_order_decided_by = 'undecided: both orders'
                    then '{{ date_column }} in file ''' || file_path || ''' mixes day-first dates ('
                    || day_first_samples || ') and month-first dates (' || month_first_samples
                    || '): set ' || setting_prefix || '_DATE_ORDER to day_first or month_first to read '
                    || 'them one way (lines that do not fit are then rejected)'
                when date_order_decided_by = 'undecided: every date reads both ways'
                    then '{{ date_column }} in file ''' || file_path || ''': no date has a day above 12, '
                    || 'so day first cannot be told from month first (' || ambiguous_date_samples
                    || '): set ' || setting_prefix || '_DATE_ORDER to day_first or month_first'
            end,
            case
                when decimal_separator_decided_by = 'undecided: both separators'
                    then 'money columns ({{ money_columns | join(", ") }}) in file ''' || file_path
                    || ''' mix decimal points (' || decimal_point_samples || ') and decimal commas ('
                    || decimal_comma_samples || '): set ' || setting_prefix
                    || '_DECIMAL_SEPARATOR to point or comma'
                when decimal_separator_decided_by = 'undecided: every decimal reads both ways'
                    then 'money columns ({{ money_columns | join(", ") }}) in file ''' || file_path
                    || ''': every amount with a separator has three digits after it ('
                    || ambiguous_decimal_samples || '), a thousands separator or three decimals: set '
                    || setting_prefix || '_DECIMAL_SEPARATOR to point or comma'
            end
        ), '') as input_problem
    from decided

)

select * from final

{% endmacro %}
