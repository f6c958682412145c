{#
    Run at the end of every dbt command (on-run-end): when this run fitted the segmentation,
    print one line per source with the segments, the structure verdict and its numbers, one
    with the drift and whether the model was refitted or kept (var refit,
    segment_refit_drift_threshold), and one more when the k rule fell back; or say that a
    source had no customers.
#}
{% macro report_segmentation(results) %}
    {%- if execute -%}
        {%- set built = results | selectattr('node.name', 'equalto', 'fit_segmentation')
            | selectattr('status', 'equalto', 'success') | list -%}
        {%- if built -%}
            {%- set models = run_query(
                "select source, status, segments, structure_detail, is_k_rule_fallback, choice_reason,"
                ~ " refit_reason, drift, model_version"
                ~ " from " ~ built[0].node.relation_name ~ " order by source"
            ) -%}
            {%- for row in models.rows -%}
                {%- if row['status'] == 'no_customers' -%}
                    {{ log("segmentation " ~ row['source'] ~ ": no customers to segment; its segment tables are empty", info=true) }}
                {%- else -%}
                    {{ log("segmentation " ~ row['source'] ~ ": " ~ row['segments'] ~ " segments, "
                        ~ row['structure_detail'], info=true) }}
                    {{ log("segmentation " ~ row['source'] ~ ": model " ~ row['model_version'] ~ ", "
                        ~ row['refit_reason']
                        ~ (", drift " ~ row['drift'] | round(3) if row['drift'] is not none and not row['refit_reason'].startswith('kept') else "")
                        ~ " (refit above var segment_refit_drift_threshold " ~ var('segment_refit_drift_threshold')
                        ~ ", or with --vars '{refit: true}')", info=true) }}
                    {%- if row['is_k_rule_fallback'] -%}
                        {{ log("segmentation " ~ row['source'] ~ ": the k rule fell back: " ~ row['choice_reason'], info=true) }}
                    {%- endif -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- set refreshed = results | selectattr('node.name', 'equalto', 'segment_refreshes')
            | selectattr('status', 'equalto', 'success') | list -%}
        {%- if refreshed -%}
            {%- set latest = run_query(
                "select source, snapshot_number, returning_customers, kept_segment_id_share, kept_segment_name_share"
                ~ " from " ~ refreshed[0].node.relation_name
                ~ " where returning_customers is not null"
                ~ " qualify row_number() over (partition by source order by snapshot_number desc) = 1"
                ~ " order by source"
            ) -%}
            {%- for row in latest.rows -%}
                {{ log("segmentation " ~ row['source'] ~ ": refresh " ~ row['snapshot_number'] ~ " kept the segment of "
                    ~ (100 * row['kept_segment_id_share']) | round(1) ~ "% of " ~ row['returning_customers']
                    ~ " returning customers (the segment name of " ~ (100 * row['kept_segment_name_share']) | round(1) ~ "%)",
                    info=true) }}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
