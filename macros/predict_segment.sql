{#
    Score customers in SQL, like a warehouse ML.PREDICT: assigns every row of
    `features_relation` (any relation with an id column and the source's feature columns,
    new customers included) to the nearest segment centroid of the fitted model of `source`,
    read from the marts segment_model_features, segment_model_projection,
    segment_model_centroids, segment_model_items and segment_model_segments.

    The arithmetic (the Python reference is SegmentationFit.predict):
        x'  = coalesce(x, fill_value)
        t   = ln(1 + max(x', 0)) for log1p features, x' otherwise
        z   = (t - center) / scale
        m_c = sum_f (z_f - pca_mean_f) * loading_fc
        segment = argmin_s sum_c (m_c - center_sc)^2, ties to the smaller segment id
    Sums run in a fixed order (macro ordered_sum), so a rebuild gives the same bits.
    Item-pattern features (sources whose model uses them) come from `item_relation` (long:
    customer id, stock_code, purchase_lines): v = ln(1 + lines) over the model's items, each
    customer's row scaled to unit length, times the SVD loadings; 0 without such items.

    Output: <id_column>, segment_id, distance_to_centroid, margin_to_next_centroid,
    is_outlier, model_version. With all_distances=true: one row per customer and segment,
    <id_column>, segment_id, distance_to_centroid, distance_rank (1 = own segment),
    model_version.
#}
{% macro predict_segment(features_relation, source, id_column='customer_id', item_relation=none, all_distances=false) %}

    with

    model_features as (
        select
            feature,
            transform,
            fill_value,
            center,
            scale,
            pca_mean
        from {{ ref('segment_model_features') }}
        where source = '{{ source }}'
    ),

    projection as (
        select
            feature,
            component,
            loading
        from {{ ref('segment_model_projection') }}
        where source = '{{ source }}'
    ),

    centroids as (
        select
            segment_id,
            component,
            center,
            model_version
        from {{ ref('segment_model_centroids') }}
        where source = '{{ source }}'
    ),

    segments as (
        select
            segment_id,
            outlier_distance_threshold
        from {{ ref('segment_model_segments') }}
        where source = '{{ source }}'
    ),

    customers as (
        select distinct {{ id_column }}
        from {{ features_relation }}
    ),

    feature_values as (
        {{ unpivot_values(features_relation, id_column) }}
    ),

    {% if item_relation is not none %}
    item_model as (
        select
            feature,
            item,
            loading
        from {{ ref('segment_model_items') }}
        where source = '{{ source }}'
    ),

    item_lines as (
        select
            {{ id_column }},
            stock_code as item,
            ln(1 + greatest(sum(purchase_lines), 0)) as item_value
        from {{ item_relation }}
        where stock_code in (select item_model.item from item_model)
        group by {{ id_column }}, stock_code
    ),

    item_norms as (
        select
            {{ id_column }},
            sqrt({{ ordered_sum('item_value * item_value', 'item') }}) as norm
        from item_lines
        group by {{ id_column }}
    ),

    item_scores as (
        select
            item_lines.{{ id_column }},
            item_model.feature,
            {{ ordered_sum('item_lines.item_value / item_norms.norm * item_model.loading', 'item_lines.item') }}
                as value
        from item_lines
        inner join item_norms
            on item_lines.{{ id_column }} = item_norms.{{ id_column }}
        inner join item_model
            on item_lines.item = item_model.item
        where item_norms.norm > 0
        group by item_lines.{{ id_column }}, item_model.feature
    ),
    {% endif %}

    all_values as (
        select
            {{ id_column }},
            feature,
            value
        from feature_values
        {%- if item_relation is not none %}
        union all
        select
            {{ id_column }},
            feature,
            value
        from item_scores
        {%- endif %}
    ),

    scaled as (
        select
            customers.{{ id_column }},
            model_features.feature,
            (
                case
                    when model_features.transform = 'log1p'
                        then ln(1 + greatest(coalesce(all_values.value, model_features.fill_value), 0))
                    when model_features.transform = 'item_svd' then coalesce(all_values.value, 0)
                    else coalesce(all_values.value, model_features.fill_value)
                end - model_features.center
            ) / model_features.scale - model_features.pca_mean as z
        from customers
        cross join model_features
        left join all_values
            on
                customers.{{ id_column }} = all_values.{{ id_column }}
                and model_features.feature = all_values.feature
    ),

    model_space as (
        select
            scaled.{{ id_column }},
            projection.component,
            {{ ordered_sum('scaled.z * projection.loading', 'scaled.feature') }} as coordinate
        from scaled
        inner join projection
            on scaled.feature = projection.feature
        group by scaled.{{ id_column }}, projection.component
    ),

    distances as (
        select
            model_space.{{ id_column }},
            centroids.segment_id,
            centroids.model_version,
            {{ ordered_sum(
                '(model_space.coordinate - centroids.center) * (model_space.coordinate - centroids.center)',
                'model_space.component',
            ) }} as squared_distance
        from model_space
        inner join centroids
            on model_space.component = centroids.component
        group by model_space.{{ id_column }}, centroids.segment_id, centroids.model_version
    ),

    ranked as (
        select
            {{ id_column }},
            segment_id,
            model_version,
            sqrt(squared_distance) as distance_to_centroid,
            row_number() over (
                partition by {{ id_column }} order by squared_distance asc, segment_id asc
            ) as distance_rank
        from distances
    )

    {% if all_distances %}
    select
        {{ id_column }},
        segment_id,
        distance_to_centroid,
        distance_rank,
        model_version
    from ranked
    {% else %}
    , nearest as (
        select
            {{ id_column }},
            segment_id,
            distance_to_centroid,
            model_version
        from ranked
        where distance_rank = 1
    ),

    runner_up as (
        select
            {{ id_column }},
            distance_to_centroid
        from ranked
        where distance_rank = 2
    )

    select
        nearest.{{ id_column }},
        nearest.segment_id,
        nearest.distance_to_centroid,
        runner_up.distance_to_centroid - nearest.distance_to_centroid as margin_to_next_centroid,
        coalesce(nearest.distance_to_centroid > segments.outlier_distance_threshold, false) as is_outlier,
        nearest.model_version
    from nearest
    left join runner_up
        on nearest.{{ id_column }} = runner_up.{{ id_column }}
    left join segments
        on nearest.segment_id = segments.segment_id
    {% endif %}

{% endmacro %}
