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
    Sums are exact (macro repeatable_sum), so a rebuild gives the same bits.
    Item-pattern features (sources whose model uses them) come from `item_relation` (long:
    customer id, stock_code, purchase_lines): v = ln(1 + lines) over the model's items, each
    customer's row scaled to unit length, times the SVD loadings; 0 without such items.
    Or `item_scores` (long: id, feature, value): those coordinates already computed (the
    segment history sums them up period by period).

    Output: <id_column>, segment_id, distance_to_centroid, margin_to_next_centroid,
    is_outlier, model_version. With all_distances=true: one row per customer and segment,
    <id_column>, segment_id, distance_to_centroid, distance_rank (1 = own segment),
    model_version.
#}
{% macro predict_segment(
    features_relation, source, id_column='customer_id', item_relation=none, item_scores=none, all_distances=false
) %}
    {%- if item_relation is not none and item_scores is not none -%}
        {{ exceptions.raise_compiler_error("predict_segment: give item_relation or item_scores, not both") }}
    {%- endif %}

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
            {{ item_pattern_value('sum(purchase_lines)') }} as item_value
        from {{ item_relation }}
        where stock_code in (select item_model.item from item_model)
        group by {{ id_column }}, stock_code
    ),

    item_norms as (
        select
            {{ id_column }},
            sqrt({{ repeatable_sum('item_value * item_value') }}) as norm
        from item_lines
        group by {{ id_column }}
    ),

    item_scores as (
        select
            item_lines.{{ id_column }},
            item_model.feature,
            {{ repeatable_sum('item_lines.item_value / item_norms.norm * item_model.loading') }}
                as value
        from item_lines
        inner join item_norms
            on item_lines.{{ id_column }} = item_norms.{{ id_column }}
        inner join item_model
            on item_lines.item = item_model.item
        where item_norms.norm > 0
        group by item_lines.{{ id_column }}, item_model.feature
    ),
    {% elif item_scores is not none %}
    item_scores as (
        select
            {{ id_column }},
            feature,
            value
        from {{ item_scores }}
    ),
    {% endif %}

    {{ segment_distances(features_relation, id_column, with_items=item_relation is not none or item_scores is not none) }},

    {# Every segment once per customer: a segment next to itself is a customer scored twice
       (DuckDB's vector form; the long form stops earlier, where it would sum the rows). #}
    ranked as (
        select
            {{ id_column }},
            segment_id,
            model_version,
            distance_to_centroid,
            distance_rank
        from (
            select
                {{ id_column }},
                segment_id,
                model_version,
                distance_to_centroid,
                row_number() over by_distance as distance_rank,
                coalesce(segment_id = lag(segment_id) over by_distance, false) as is_repeated
            from distances
            window by_distance as (partition by {{ id_column }} order by distance_to_centroid asc, segment_id asc)
        ) as ordered
        where {{ fail_if('is_repeated', "'predict_segment: a customer has more than one value for a feature: ' || " ~ id_column) }}
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

{# A customer's value of one item of the item pattern, from its purchase lines of the item. #}
{% macro item_pattern_value(purchase_lines) -%}
    ln(1 + greatest({{ purchase_lines }}, 0))
{%- endmacro %}

{#
    The CTEs of predict_segment from the customers' values (the value columns of
    `features_relation`, and with_items the CTE item_scores: id, feature, value) and the model
    (CTEs model_features, projection, centroids) to `distances`: one row per customer and
    segment with distance_to_centroid, in model space. Long form (one row per customer and
    feature, then per customer and component), summed exactly; the form of every engine
    without its own (Spark), and of DuckDB too with var predict_segment_long_form.
#}
{% macro segment_distances(features_relation, id_column, with_items) -%}
    {%- if var('predict_segment_long_form', false) -%}
        {{ return(default__segment_distances(features_relation, id_column, with_items)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('segment_distances', 'custseg')(features_relation, id_column, with_items)) }}
{%- endmacro %}

{% macro default__segment_distances(features_relation, id_column, with_items) -%}
    customers as (
        select
            {{ id_column }},
            count(*) as feature_rows
        from {{ features_relation }}
        group by {{ id_column }}
    ),

    feature_values as (
        {{ unpivot_values(features_relation, id_column) }}
    ),

    all_values as (
        select
            {{ id_column }},
            feature,
            value
        from feature_values
        {%- if with_items %}
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
            {{ _scaled_value('model_features', 'all_values.value') }} as z
        from customers
        cross join model_features
        left join all_values
            on
                customers.{{ id_column }} = all_values.{{ id_column }}
                and model_features.feature = all_values.feature
        {# Summed over the long form, a customer's second row would double its coordinates. #}
        where {{ fail_if(
            'customers.feature_rows > 1',
            "'predict_segment: a customer has more than one value for a feature: ' || customers." ~ id_column
        ) }}
    ),

    model_space as (
        select
            scaled.{{ id_column }},
            projection.component,
            {{ repeatable_sum('scaled.z * projection.loading') }} as coordinate
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
            sqrt({{ repeatable_sum(
                '(model_space.coordinate - centroids.center) * (model_space.coordinate - centroids.center)'
            ) }}) as distance_to_centroid
        from model_space
        inner join centroids
            on model_space.component = centroids.component
        group by model_space.{{ id_column }}, centroids.segment_id, centroids.model_version
    )
{%- endmacro %}

{#
    DuckDB: the same arithmetic on vectors, one row per customer, without a row per customer
    and feature: the model as lists in feature order; each customer's value columns as one
    list (in the relation's column order) and item scores as lists; z by each model
    feature's position among the columns; then the coordinates (dot products with the
    loadings) and the distance to every centre (list_distance), each added in a fixed order.
#}
{% macro duckdb__segment_distances(features_relation, id_column, with_items) -%}
    components as (
        select distinct component
        from projection
    ),

    loading_matrix as (
        select list(loadings order by component) as loadings
        from (
            select
                components.component,
                list(coalesce(projection.loading, 0) order by model_features.feature) as loadings
            from components
            cross join model_features
            left join projection
                on
                    components.component = projection.component
                    and model_features.feature = projection.feature
            group by components.component
        ) as component_loadings
    ),

    centres as (
        select
            segment_ids.segment_id,
            segment_ids.model_version,
            list(coalesce(centroids.center, 0) order by components.component) as centre
        from (select distinct segment_id, model_version from centroids) as segment_ids
        cross join components
        left join centroids
            on
                segment_ids.segment_id = centroids.segment_id
                and components.component = centroids.component
        group by segment_ids.segment_id, segment_ids.model_version
    ),

    model_lists as (
        select
            list(feature order by feature) as features,
            list(transform order by feature) as transforms,
            list(fill_value order by feature) as fill_values,
            list(center order by feature) as centers,
            list(scale order by feature) as scales,
            list(pca_mean order by feature) as pca_means
        from model_features
    ),

    {# Each model feature's position among the value columns (null: not a column, so the fill). #}
    feature_positions as (
        select
            list_transform(
                model_lists.features, lambda feature: list_position(value_columns.names, feature)
            ) as positions
        from model_lists
        cross join (
            select list_filter(json_keys(to_json(first_row)), lambda name: name <> '{{ id_column }}') as names
            from (select * from {{ features_relation }} limit 1) as first_row
        ) as value_columns
    ),

    {# A customer twice in the features stops the scoring in `ranked`. #}
    customer_values as (
        select
            {{ id_column }},
            [*columns(* exclude ({{ id_column }}))] as value_list
        from (
            select
                {{ id_column }},
                try_cast(columns(* exclude ({{ id_column }})) as double)
            from {{ features_relation }}
        ) as numbers
    ),

    {% if with_items %}
    customer_items as (
        select
            {{ id_column }},
            case
                when len(list_distinct(features)) = len(features) then features
                else error('predict_segment: a customer has more than one value for a feature: ' || {{ id_column }})
            end as features,
            item_values
        from (
            select
                {{ id_column }},
                list(feature) as features,
                list(value) as item_values
            from item_scores
            group by {{ id_column }}
        ) as listed
    ),
    {% endif %}

    {# One vector per customer in feature order, as the model's lists are. #}
    vectors as (
        select
            customer_values.{{ id_column }},
            list_transform(
                range(1, len(model_lists.features) + 1),
                lambda k: {{ _scaled(
                    "coalesce(customer_values.value_list[feature_positions.positions[k]], "
                    ~ ("customer_items.item_values[list_position(customer_items.features, model_lists.features[k])]"
                       if with_items else "null") ~ ")",
                    "model_lists.transforms[k]",
                    "model_lists.fill_values[k]",
                    "model_lists.centers[k]",
                    "model_lists.scales[k]",
                    "model_lists.pca_means[k]",
                ) }}
            ) as z
        from customer_values
        cross join model_lists
        cross join feature_positions
        {%- if with_items %}
        left join customer_items
            on customer_values.{{ id_column }} = customer_items.{{ id_column }}
        {%- endif %}
    ),

    model_space as (
        select
            vectors.{{ id_column }},
            list_transform(loading_matrix.loadings, lambda loadings: list_dot_product(vectors.z, loadings))
                as coordinates
        from vectors
        cross join loading_matrix
    ),

    distances as (
        select
            model_space.{{ id_column }},
            centres.segment_id,
            centres.model_version,
            list_distance(model_space.coordinates, centres.centre) as distance_to_centroid
        from model_space
        cross join centres
    )
{%- endmacro %}

{# A feature value as the model scores it (z): filled, transformed, scaled, centred for the projection. #}
{% macro _scaled_value(model_features, value) -%}
    {{ _scaled(
        value,
        model_features ~ ".transform",
        model_features ~ ".fill_value",
        model_features ~ ".center",
        model_features ~ ".scale",
        model_features ~ ".pca_mean",
    ) }}
{%- endmacro %}

{% macro _scaled(value, transform, fill_value, center, scale, pca_mean) -%}
    (
        case
            when {{ transform }} = 'log1p' then ln(1 + greatest(coalesce({{ value }}, {{ fill_value }}), 0))
            when {{ transform }} = 'item_svd' then coalesce({{ value }}, 0)
            else coalesce({{ value }}, {{ fill_value }})
        end - {{ center }}
    ) / {{ scale }} - {{ pca_mean }}
{%- endmacro %}
