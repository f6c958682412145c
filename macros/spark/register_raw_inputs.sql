{#
    The Spark hook of register_raw_inputs (macros/register_raw_inputs.sql): the same request per
    source, answered by custseg.integration.spark.register_input, which ./scripts/spark.sh
    registers in its Spark session as the SQL function custseg_register_input. The plan and the
    checks are those of the DuckDB hook (custseg.inputs), so a missing file or column stops the
    build with the same message; the source becomes an external table over the file as read.

    On a cluster whose raw data are already catalog tables, set var spark_register_raw_inputs to
    false and point the sources' schema at them: the hook then only checks that they exist.
#}
{% macro spark__register_raw_inputs() %}
    {%- if execute -%}
        {%- for node in graph.sources.values() if node.meta.get('input_kind') -%}
            {%- set files_id = 'source.' ~ node.package_name ~ '.' ~ node.source_name ~ '.' ~ node.name ~ '_files' -%}
            {%- set files_node = graph.sources[files_id] -%}
            {%- set view = api.Relation.create(schema=node.schema, identifier=node.identifier) -%}
            {%- set files_table = api.Relation.create(schema=files_node.schema, identifier=files_node.identifier) -%}
            {%- if not var('spark_register_raw_inputs', true) -%}
                {%- for relation in [view, files_table] -%}
                    {%- if adapter.get_relation(database=none, schema=relation.schema, identifier=relation.identifier) is none -%}
                        {{ exceptions.raise_compiler_error(
                            "Raw input for source " ~ node.source_name ~ "." ~ node.name ~ ": table " ~ relation
                            ~ " does not exist (var spark_register_raw_inputs is false, so the hook does not create it)"
                        ) }}
                    {%- endif -%}
                {%- endfor -%}
            {%- else -%}
                {%- set request = tojson({
                    'kind': node.meta['input_kind'],
                    'default_path': node.meta['default_path'],
                    'view': view | string,
                    'files_table': files_table | string,
                }) -%}
                {%- do run_query('create schema if not exists ' ~ node.schema) -%}
                {%- set answer = fromjson(
                    run_query("select custseg_register_input('" ~ request | replace("\\", "\\\\") | replace("'", "\\'") ~ "')").columns[0].values()[0]
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
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
