with

scores as (

    select
        source,
        customer_id,
        segment_id,
        distance_to_centroid,
        margin_to_next_centroid,
        is_outlier,
        is_excluded_from_fit,
        model_version
    from {{ ref('customer_segment_scores') }}

),

profiles as (

    select
        source,
        segment_id,
        segment_name
    from {{ ref('segment_profiles') }}

),

final as (

    select
        scores.source,
        scores.customer_id,
        scores.segment_id,
        profiles.segment_name,
        scores.distance_to_centroid,
        scores.margin_to_next_centroid,
        scores.is_outlier,
        scores.is_excluded_from_fit,
        scores.model_version
    from scores
    inner join profiles
        on
            scores.source = profiles.source
            and scores.segment_id = profiles.segment_id

)

select * from final
