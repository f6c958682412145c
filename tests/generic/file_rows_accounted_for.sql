{#
    Every raw row ends in exactly one place, per input file, without reading the raw files
    again: the tested model is the input's base_<source>__file_formats (one row per file, with
    raw_rows counted from the file when it was read), and the test fails on every file whose raw
    rows differ from its clean rows plus its rejected rows (`clean_model` and `rejected_model`
    carry _file_id), on every file of the input (`files_relation`, the hook's `<table>_files`)
    that the model lacks, and on clean or rejected rows of a file it does not hold. So it holds
    over all files after an incremental refresh, at the cost of counting the line tables.
#}
{% test file_rows_accounted_for(model, clean_model, rejected_model, files_relation) %}

with

raw_rows as (
    select
        _file_id,
        raw_rows
    from {{ model }}
),

input_files as (
    select _file_id from {{ files_relation }}
),

clean_rows as (
    select
        _file_id,
        count(*) as row_count
    from {{ clean_model }}
    group by _file_id
),

rejected_rows as (
    select
        _file_id,
        count(*) as row_count
    from {{ rejected_model }}
    group by _file_id
),

files as (
    select _file_id from raw_rows
    union
    select _file_id from input_files
    union
    select _file_id from clean_rows
    union
    select _file_id from rejected_rows
),

final as (
    select
        files._file_id,
        raw_rows.raw_rows as raw_row_count,
        coalesce(clean_rows.row_count, 0) as clean_row_count,
        coalesce(rejected_rows.row_count, 0) as rejected_row_count,
        input_files._file_id is not null as is_input_file
    from files
    left join raw_rows
        on files._file_id = raw_rows._file_id
    left join input_files
        on files._file_id = input_files._file_id
    left join clean_rows
        on files._file_id = clean_rows._file_id
    left join rejected_rows
        on files._file_id = rejected_rows._file_id
)

select * from final
where
    raw_row_count is null
    or not is_input_file
    or raw_row_count <> clean_row_count + rejected_row_count

{% endtest %}
