{#
    Run at the end of every dbt command (on-run-end): when this run fitted the value models,
    print one line per source with the fit's status and the churn-risk bands, a warning for
    each fallback the fit took, and the holdout evaluation against the naive baseline.
#}
{% macro report_customer_value(results) %}
    {%- if execute -%}
        {%- set fitted = results | selectattr('node.name', 'equalto', 'customer_value')
            | selectattr('status', 'equalto', 'success') | list -%}
        {%- if fitted -%}
            {%- set node = fitted[0].node -%}
            {%- set models = api.Relation.create(database=node.database, schema=node.schema, identifier='customer_value_models') -%}
            {%- set bands = run_query(
                "select models.source, models.status, models.warnings,"
                ~ " count(*) filter (where value.churn_risk = 'high') as high,"
                ~ " count(*) filter (where value.churn_risk = 'medium') as medium,"
                ~ " count(*) filter (where value.churn_risk = 'low') as low,"
                ~ " count(*) filter (where value.churn_risk = 'unknown') as unknown"
                ~ " from " ~ models ~ " as models"
                ~ " left join " ~ fitted[0].node.relation_name ~ " as value on models.source = value.source"
                ~ " group by all order by models.source"
            ) -%}
            {%- for row in bands.rows -%}
                {{ log("customer value " ~ row['source'] ~ ": " ~ row['status'] ~ "; churn risk high "
                    ~ row['high'] ~ ", medium " ~ row['medium'] ~ ", low " ~ row['low']
                    ~ ", unknown " ~ row['unknown'], info=true) }}
                {%- if row['warnings'] -%}
                    {{ exceptions.warn("customer value " ~ row['source'] ~ ": " ~ row['warnings']) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- set evaluated = results | selectattr('node.name', 'equalto', 'customer_value_evaluation')
            | selectattr('status', 'equalto', 'success') | list -%}
        {%- if evaluated -%}
            {%- set metrics = run_query(
                "select model.source, model.holdout_days, model.rmse, baseline.rmse as baseline_rmse,"
                ~ " model.correlation, baseline.correlation as baseline_correlation,"
                ~ " model.total_predicted, model.total_actual"
                ~ " from " ~ evaluated[0].node.relation_name ~ " as model"
                ~ " inner join " ~ evaluated[0].node.relation_name ~ " as baseline"
                ~ " on model.source = baseline.source and baseline.predictor = 'naive_baseline'"
                ~ " where model.predictor = 'model' and model.rmse is not null order by model.source"
            ) -%}
            {%- for row in metrics.rows -%}
                {{ log("customer value " ~ row['source'] ~ ": on the last " ~ row['holdout_days']
                    ~ " days, RMSE " ~ row['rmse'] | round(3) ~ " (naive baseline " ~ row['baseline_rmse'] | round(3)
                    ~ "), correlation " ~ row['correlation'] | round(3) ~ " (baseline " ~ row['baseline_correlation'] | round(3)
                    ~ "), " ~ row['total_predicted'] | round(0) | int ~ " purchases predicted, "
                    ~ row['total_actual'] | round(0) | int ~ " made", info=true) }}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
