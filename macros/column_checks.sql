{#
    The body of the models base_<source>__column_checks: per input file and checked column, how
    many non-empty values were rejected, and a stop when the share is above var
    input_column_max_rejected_share (5 %): a column that mostly does not parse means the file
    was not understood (a wrong date order, a unit in the numbers, a shifted column), and a
    green build must mean the data was. Also a stop when a required column is empty on every
    row, and when more than that share of the rows has not the header's number of fields.

    `lines_relation` is the base model (one row per distinct raw row, with _file_id, field_count
    and expected_field_count; `weight` is the number of raw rows a row stands for); `columns` is a list of (name in the file, raw column,
    parsed column, required) where a raw value that is present but whose parsed value is NULL is
    a rejected value; `row_text` is an expression that shows a row (for the samples of malformed
    rows). Counted in lines. The stop (macro fail_if) names the file, the column, the
    share and three sample values. `new_files_only`: only the files the (incremental) model does
    not hold yet (macro new_input_files_only).
#}
{% macro input_column_checks(
    lines_relation, formats_relation, columns, row_text, weight='line_copies', new_files_only=false
) %}

with

lines as (

    select * from {{ lines_relation }}
    {%- if new_files_only %}
    where {{ new_input_files_only() }}
    {%- endif %}

),

files as (

    select
        _file_id,
        file_path
    from {{ formats_relation }}

),

column_values as (

    select
        _file_id,
        '(rows)' as column_name,
        false as is_required,
        {{ weight }} as line_copies,
        true as is_present,
        field_count <> expected_field_count as is_rejected,
        {{ row_text }} as raw_value
    from lines
    {%- for name, raw_column, parsed_column, required in columns %}
    union all
    select
        _file_id,
        '{{ name }}' as column_name,
        {{ 'true' if required else 'false' }} as is_required,
        {{ weight }} as line_copies,
        {{ raw_column }} is not null as is_present,
        {{ raw_column }} is not null and {{ parsed_column }} is null as is_rejected,
        {{ raw_column }} as raw_value
    from lines
    where field_count = expected_field_count
    {%- endfor %}

),

counted as (

    select
        _file_id,
        column_name,
        bool_or(is_required) as is_required,
        sum(line_copies) as checked_lines,
        coalesce(sum(line_copies) filter (where is_present), 0) as non_empty_lines,
        coalesce(sum(line_copies) filter (where is_rejected), 0) as rejected_lines,
        {{ sample_values('raw_value', 'is_rejected') }} as rejected_samples
    from column_values
    group by _file_id, column_name

),

final as (

    select
        counted._file_id,
        counted.column_name,
        counted.checked_lines,
        counted.non_empty_lines,
        counted.rejected_lines,
        {{ share_of('counted.rejected_lines', 'counted.non_empty_lines') }} as rejected_share,
        counted.rejected_samples,
        case
            when counted.column_name = '(rows)'
                and {{ share_of('counted.rejected_lines', 'counted.non_empty_lines') }}
                > {{ var('input_column_max_rejected_share') }}
                then 'file ''' || files.file_path || ''': ' || counted.rejected_lines || ' of '
                || counted.non_empty_lines || ' rows have not the header''s number of fields (e.g. '
                || counted.rejected_samples || '); check the delimiter, the quoting and the header line'
            when counted.is_required and counted.non_empty_lines = 0 and counted.checked_lines > 0
                then 'column ' || counted.column_name || ' of file ''' || files.file_path
                || ''' is empty on every row'
            when {{ share_of('counted.rejected_lines', 'counted.non_empty_lines') }}
                > {{ var('input_column_max_rejected_share') }}
                then 'column ' || counted.column_name || ' of file ''' || files.file_path || ''': '
                || counted.rejected_lines || ' of its ' || counted.non_empty_lines
                || ' non-empty values do not parse or are implausible (more than '
                || cast(100 * {{ var('input_column_max_rejected_share') }} as {{ dbt.type_string() }})
                || ' %, var input_column_max_rejected_share), e.g. ' || counted.rejected_samples
                || '; the file was not understood (each line''s reason is in the base model''s rejection_detail)'
        end as column_problem
    from counted
    inner join files
        on counted._file_id = files._file_id

)

select * from final
where {{ fail_if('column_problem is not null', "'Cannot read the input: ' || column_problem") }}

{% endmacro %}
