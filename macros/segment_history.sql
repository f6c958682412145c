{#
    Run at the start of every dbt command (on-run-start): keep the segment centroids the
    warehouse holds before this build as segment_history.previous_segment_centroids, so that
    the segmentation can match this build's segments to them and keep their ids (an empty
    table on the first build). Every fit_* Python model reads the same snapshot, whatever
    order they run in.
#}
{% macro snapshot_previous_segment_centroids() %}
    {%- if execute -%}
        {%- set current = adapter.get_relation(
            database=target.database, schema='marts', identifier='segment_centroids'
        ) -%}
        create schema if not exists segment_history;
        {% if current is not none -%}
            create or replace table segment_history.previous_segment_centroids as
            select
                source,
                segment_id,
                feature,
                center_scaled,
                center_original
            from {{ current }};
        {%- else -%}
            create table if not exists segment_history.previous_segment_centroids (
                source {{ dbt.type_string() }},
                segment_id {{ dbt.type_bigint() }},
                feature {{ dbt.type_string() }},
                center_scaled {{ type_double() }},
                center_original {{ type_double() }}
            );
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
