{#
    Incremental by input file (issue #13): the line-level models of an input keep one set of
    rows per input file, keyed by _file_id (custseg.inputs.file_id_for: from the file's bytes and
    the settings it is read with), and a refresh adds only the files they do not hold yet.

    - new_input_files_only(): a filter that keeps the rows of files not yet in the model
      (`{{ this }}`). It lists the loaded ids as literals, so that DuckDB drops the branches of
      the source view (one per file) that it need not read at all. Always true on a first or
      full-refresh build, and when nothing runs (compile, docs generate).
    - delete_rows_of_files_gone(files_relation): the pre-hook of those models. A file no longer
      in the input, or whose bytes (or read settings) changed, has an id that is not in the
      input's `<table>_files` any more: its rows are deleted, and a changed file is then read
      again under its new id as a new file. So an incremental build holds exactly the rows a
      full refresh would.

    `files_relation` and `same_columns` (both macros, for a model with one row per file that
    copies columns of `<table>_files`, like file_path): a held row whose copies no longer match
    the file's current row (the file was renamed, or a copy of it appeared) counts as not held,
    so it is deleted and decided again.
#}
{% macro new_input_files_only(column='_file_id', files_relation=none, same_columns=()) -%}
    {%- set loaded = [] -%}
    {#- Only when nodes run: compile and docs generate have no raw catalog (the on-run-start
        hook registers it) and show the filter as on a first build. -#}
    {%- if execute and this is not none and is_incremental() and flags.WHICH in ['run', 'build'] -%}
        {%- if files_relation is not none -%}
            {%- set query -%}
                select held.{{ column }} from {{ this }} as held
                inner join {{ files_relation }} as current_files on held.{{ column }} = current_files._file_id
                {%- for name in same_columns %}
                    {{ 'where' if loop.first else 'and' }} held.{{ name }} is not distinct from current_files.{{ name }}
                {%- endfor %}
                order by 1
            {%- endset -%}
        {%- else -%}
            {%- set query = 'select distinct ' ~ column ~ ' from ' ~ this ~ ' order by 1' -%}
        {%- endif -%}
        {%- set loaded = run_query(query).columns[0].values() -%}
    {%- endif -%}
    {%- if loaded | length > 0 -%}
        {{ column }} not in ({{ loaded | join(', ') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro delete_rows_of_files_gone(files_relation, column='_file_id', same_columns=()) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as held
        where not exists (
            select 1 from {{ files_relation }} as current_files
            where
                current_files._file_id = held.{{ column }}
                {%- for name in same_columns %}
                and current_files.{{ name }} is not distinct from held.{{ name }}
                {%- endfor %}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
