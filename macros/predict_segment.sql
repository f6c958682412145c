{#
    Score customers in SQL, like a warehouse ML PREDICT: a select of
    (<id_column>, segment_id, distance_to_centroid) that assigns every row of
    `features_relation` (any relation with the source's feature columns, e.g. new
    customers) to its nearest segment centroid of the fitted model of `source`.

    It replays the fitted preprocessing (tables fit_segment_preprocessing,
    fit_segment_projection, fit_segment_model_centroids, fit_segment_item_components):
        x' = coalesce(x, fill_value)
        t  = ln(1 + max(x', 0)) for log1p features, x' otherwise
        z  = (t - center) / scale
        m_c = sum_f (z_f - pca_mean_f) * loading_fc
        segment = argmin_s sum_c (m_c - center_sc)^2, ties to the smaller segment id
    Item-pattern features (when the source uses them) come from `item_relation` (long:
    customer, stock_code, purchase_lines): v = ln(1 + lines) over the model's items, each
    customer's row L2-normalised, times the SVD loadings; 0 for customers without them.
#}
{% macro predict_segment(features_relation, source, id_column='customer_id', item_relation=none) %}

    with

    preprocessing as (
        select
            feature,
            transform,
            fill_value,
            center,
            scale,
            pca_mean
        from {{ ref('fit_segment_preprocessing') }}
        where source = '{{ source }}'
    ),

    projection as (
        select
            feature,
            component,
            loading
        from {{ ref('fit_segment_projection') }}
        where source = '{{ source }}'
    ),

    centroids as (
        select
            segment_id,
            component,
            center
        from {{ ref('fit_segment_model_centroids') }}
        where source = '{{ source }}'
    ),

    feature_values as (
        {{ unpivot_numeric_columns(features_relation, id_column) }}
    ),

    {% if item_relation is not none %}
    item_components as (
        select
            feature,
            cast(item as {{ dbt.type_string() }}) as item,
            loading
        from {{ ref('fit_segment_item_components') }}
        where source = '{{ source }}'
    ),

    item_values as (
        select
            items.{{ id_column }},
            items.stock_code as item,
            ln(1 + items.purchase_lines) as item_value
        from {{ item_relation }} as items
        where items.stock_code in (select item_components.item from item_components)
    ),

    item_norms as (
        select
            {{ id_column }},
            sqrt(sum(item_value * item_value)) as norm
        from item_values
        group by {{ id_column }}
    ),

    item_features as (
        select
            item_values.{{ id_column }},
            item_components.feature,
            sum(item_values.item_value / item_norms.norm * item_components.loading) as value
        from item_values
        inner join item_norms
            on item_values.{{ id_column }} = item_norms.{{ id_column }}
        inner join item_components
            on item_values.item = item_components.item
        group by item_values.{{ id_column }}, item_components.feature
    ),
    {% endif %}

    all_values as (
        select * from feature_values
        {%- if item_relation is not none %}
        union all
        select * from item_features
        {%- endif %}
    ),

    customers as (
        select distinct {{ id_column }}
        from {{ features_relation }}
    ),

    scaled as (
        select
            customers.{{ id_column }},
            preprocessing.feature,
            (
                case
                    when preprocessing.transform = 'log1p'
                        then ln(1 + greatest(coalesce(all_values.value, preprocessing.fill_value), 0))
                    else coalesce(all_values.value, preprocessing.fill_value)
                end - preprocessing.center
            ) / preprocessing.scale - preprocessing.pca_mean as z
        from customers
        cross join preprocessing
        left join all_values
            on
                customers.{{ id_column }} = all_values.{{ id_column }}
                and preprocessing.feature = all_values.feature
    ),

    model_space as (
        select
            scaled.{{ id_column }},
            projection.component,
            sum(scaled.z * projection.loading) as coordinate
        from scaled
        inner join projection
            on scaled.feature = projection.feature
        group by scaled.{{ id_column }}, projection.component
    ),

    distances as (
        select
            model_space.{{ id_column }},
            centroids.segment_id,
            sum((model_space.coordinate - centroids.center) * (model_space.coordinate - centroids.center))
                as squared_distance
        from model_space
        inner join centroids
            on model_space.component = centroids.component
        group by model_space.{{ id_column }}, centroids.segment_id
    ),

    nearest as (
        select
            {{ id_column }},
            segment_id,
            sqrt(squared_distance) as distance_to_centroid,
            row_number() over (
                partition by {{ id_column }} order by squared_distance asc, segment_id asc
            ) as distance_rank
        from distances
    )

    select
        {{ id_column }},
        segment_id,
        distance_to_centroid
    from nearest
    where distance_rank = 1

{% endmacro %}
