{#
    Every feature of every segment in original units: the mean and median of the segment against
    the overall mean and median of the source. For the features the model uses, z_score is the
    segment’s centre in the model’s scaled space (segment_centroids.center_scaled): how many
    standard deviations (IQRs with the robust scaler) it sits from the average fitted
    customer, on the scale the clusterer sees (after ln(1 + x) for log1p features).
#}

with

scores as (

    select
        source,
        customer_id,
        segment_id
    from {{ ref('customer_segment_scores') }}

),

smartcart_values as (

    {{ unpivot_values(
        ref('customer_features_smartcart'),
        'customer_id',
        exclude=['fit_exclusion_reason', 'is_excluded_from_fit'],
    ) }}

),

online_retail_values as (

    {{ unpivot_values(
        ref('customer_features_online_retail'),
        'customer_id',
        exclude=['fit_exclusion_reason', 'is_excluded_from_fit'],
    ) }}

),

centroids as (

    select
        source,
        segment_id,
        feature,
        center_scaled
    from {{ ref('segment_centroids') }}

),

feature_values as (

    select
        'smartcart' as source,
        customer_id,
        feature,
        value
    from smartcart_values
    union all
    select
        'online_retail' as source,
        customer_id,
        feature,
        value
    from online_retail_values

),

segment_values as (

    select
        scores.source,
        scores.segment_id,
        feature_values.feature,
        feature_values.value
    from feature_values
    inner join scores
        on
            feature_values.source = scores.source
            and feature_values.customer_id = scores.customer_id

),

overall as (

    select
        source,
        feature,
        {{ exact_avg('value') }} as overall_mean,
        percentile_cont(0.5) within group (order by value) as overall_median
    from segment_values
    group by source, feature

),

by_segment as (

    select
        source,
        segment_id,
        feature,
        count(*) as customers,
        {{ exact_avg('value') }} as mean_value,
        percentile_cont(0.5) within group (order by value) as median_value
    from segment_values
    group by source, segment_id, feature

),

final as (

    select
        by_segment.source,
        by_segment.segment_id,
        by_segment.feature,
        cast(by_segment.customers as {{ dbt.type_bigint() }}) as customers,
        cast(by_segment.mean_value as {{ type_double() }}) as mean_value,
        cast(by_segment.median_value as {{ type_double() }}) as median_value,
        cast(overall.overall_mean as {{ type_double() }}) as overall_mean,
        cast(overall.overall_median as {{ type_double() }}) as overall_median,
        centroids.center_scaled as z_score
    from by_segment
    inner join overall
        on
            by_segment.source = overall.source
            and by_segment.feature = overall.feature
    left join centroids
        on
            by_segment.source = centroids.source
            and by_segment.segment_id = centroids.segment_id
            and by_segment.feature = centroids.feature

)

select * from final
