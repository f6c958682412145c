{#
    Every customer of both sources scored in SQL with the fitted model (macro
    predict_segment): segment, distance to its centre, margin to the next one, outlier flag,
    and the customer’s silhouette where it was computed (the fit’s sample).
#}

with

smartcart_exclusions as (

    select
        customer_id,
        is_excluded_from_fit
    from {{ ref('customer_features_smartcart') }}

),

online_retail_exclusions as (

    select
        customer_id,
        is_excluded_from_fit
    from {{ ref('customer_features_online_retail') }}

),

fits as (

    select
        source,
        customer_silhouettes
    from {{ ref('fit_segmentation') }}

),

smartcart_scores as (

    {{ predict_segment(ref('customer_features_smartcart'), 'smartcart') }}

),

online_retail_scores as (

    {{ predict_segment(
        ref('customer_features_online_retail'),
        'online_retail',
        item_relation=ref('online_retail_customer_item_purchases'),
    ) }}

),

silhouettes as (

    select
        source,
        {{ unnest_rows('customer_silhouettes') }}
    from fits

),

scores as (

    select
        'smartcart' as source,
        smartcart_scores.*,
        smartcart_exclusions.is_excluded_from_fit
    from smartcart_scores
    inner join smartcart_exclusions
        on smartcart_scores.customer_id = smartcart_exclusions.customer_id
    union all
    select
        'online_retail' as source,
        online_retail_scores.*,
        online_retail_exclusions.is_excluded_from_fit
    from online_retail_scores
    inner join online_retail_exclusions
        on online_retail_scores.customer_id = online_retail_exclusions.customer_id

),

final as (

    select
        scores.source,
        scores.customer_id,
        cast(scores.segment_id as {{ dbt.type_int() }}) as segment_id,
        scores.distance_to_centroid,
        scores.margin_to_next_centroid,
        scores.is_outlier,
        scores.is_excluded_from_fit,
        silhouettes.silhouette,
        scores.model_version
    from scores
    left join silhouettes
        on
            scores.source = silhouettes.source
            and scores.customer_id = silhouettes.customer_id

)

select * from final
