{#
    Run at the start of every dbt command (on-run-start): fail fast, with a message
    that names the file and the problem, when a raw input file is missing, empty,
    not CSV/Parquet, or lacks a required column. Every source table whose meta has an
    `input_kind` is checked; the checks live in custseg.inputs (Python, tested) and
    reach SQL through the dbt-duckdb plugin custseg.dbt_plugin.
#}
{% macro check_raw_inputs() %}
    {%- if execute -%}
        {%- for node in graph.sources.values() if node.meta.get('input_kind') -%}
            {%- set query -%}
                select custseg_input_problem(
                    {{ dbt.string_literal(node.meta['path'] | replace("'", "''")) }},
                    {{ dbt.string_literal(node.meta['input_kind']) }}
                )
            {%- endset -%}
            {%- set problem = run_query(query).columns[0].values()[0] -%}
            {%- if problem -%}
                {{ exceptions.raise_compiler_error(
                    "Bad raw input for source " ~ node.source_name ~ "." ~ node.name ~ ": "
                    ~ problem ~ ". Point " ~ node.meta['input_setting'] ~ " at a readable file."
                ) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
