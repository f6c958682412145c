{#
    Run at the start of every dbt command (on-run-start): for every source table whose meta has
    an `input_kind`, decide how to read its file and make the source readable, or stop with a
    message naming the file and the problem (missing, empty, not CSV, UTF-16, an Excel workbook,
    a required column absent...) and the setting that points at it.

    The decisions (what the file is, encoding, delimiter, header line, which header name is which
    column) are taken once per file by custseg.inputs (Python, tested), which reads the file's path
    and settings from the environment (<PREFIX>_PATH, _ENCODING, _COLUMNS, _DATE_ORDER,
    _DECIMAL_SEPARATOR; README "Settings") and answers with the SQL that creates the source
    (a view over the file, the file checked being the file read) and its `<table>_files` companion
    (one row per file: how it is read, and the date-order and decimal settings that the
    base_*__file_formats models apply).

    Dispatched so that another engine can register its sources its own way (issue #14).
#}
{% macro register_raw_inputs() %}
    {{ return(adapter.dispatch('register_raw_inputs', 'custseg')()) }}
{% endmacro %}

{% macro duckdb__register_raw_inputs() %}
    {%- if execute -%}
        {%- for node in graph.sources.values() if node.meta.get('input_kind') -%}
            {%- set files_id = 'source.' ~ node.package_name ~ '.' ~ node.source_name ~ '.' ~ node.name ~ '_files' -%}
            {%- set files_node = graph.sources[files_id] -%}
            {%- set view = api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.identifier
            ) -%}
            {%- set files_table = api.Relation.create(
                database=files_node.database, schema=files_node.schema, identifier=files_node.identifier
            ) -%}
            {%- set request = tojson({
                'kind': node.meta['input_kind'],
                'default_path': node.meta['default_path'],
                'view': view | string,
                'files_table': files_table | string,
            }) -%}
            {%- do run_query('attach if not exists \':memory:\' as ' ~ adapter.quote(node.database)) -%}
            {%- do run_query('create schema if not exists ' ~ adapter.quote(node.database) ~ '.' ~ adapter.quote(node.schema)) -%}
            {%- set answer = fromjson(
                run_query("select custseg_register_input('" ~ request | replace("'", "''") ~ "')").columns[0].values()[0]
            ) -%}
            {%- if answer.get('problem') -%}
                {{ exceptions.raise_compiler_error(
                    "Bad raw input for source " ~ node.source_name ~ "." ~ node.name ~ " (file set by "
                    ~ answer['setting'] ~ "): " ~ answer['problem']
                ) }}
            {%- endif -%}
            {%- for statement in answer['statements'] -%}
                {%- do run_query(statement) -%}
            {%- endfor -%}
            {{ log("input " ~ node.source_name ~ "." ~ node.name ~ ": " ~ answer['summary'], info=True) }}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
