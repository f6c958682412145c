{#
    Every feature of every segment: mean and median of its customers in original units,
    and a z-score that says how far the segment sits from the average customer of its
    source. The z-score is measured on the scale the clusterer sees: log1p features (as
    the fitted preprocessing says) are compared after ln(1 + x), so that a few very large
    spenders do not hide what sets a segment apart.
#}

with

assignments as (

    select
        source,
        customer_id,
        segment_id
    from {{ ref('fit_customer_segments') }}

),

transforms as (

    select
        source,
        feature,
        transform
    from {{ ref('fit_segment_preprocessing') }}

),

features as (

    select
        features.source,
        features.customer_id,
        features.feature,
        features.value,
        case
            when transforms.transform = 'log1p' then ln(1 + greatest(features.value, 0))
            else features.value
        end as model_scale_value
    from {{ ref('int_customer_features_unpivoted') }} as features
    left join transforms
        on
            features.source = transforms.source
            and features.feature = transforms.feature

),

overall as (

    select
        source,
        feature,
        {{ exact_avg('value') }} as overall_mean,
        {{ exact_avg('model_scale_value') }} as overall_model_scale_mean,
        {{ exact_stddev_pop('model_scale_value') }} as overall_model_scale_stddev
    from features
    group by source, feature

),

by_segment as (

    select
        assignments.source,
        assignments.segment_id,
        features.feature,
        count(*) as customers,
        {{ exact_avg('features.value') }} as mean_value,
        percentile_cont(0.5) within group (order by features.value) as median_value,
        {{ exact_avg('features.model_scale_value') }} as model_scale_mean
    from features
    inner join assignments
        on
            features.source = assignments.source
            and features.customer_id = assignments.customer_id
    group by assignments.source, assignments.segment_id, features.feature

),

final as (

    select
        by_segment.source,
        cast(by_segment.segment_id as {{ dbt.type_int() }}) as segment_id,
        by_segment.feature,
        cast(by_segment.customers as {{ dbt.type_bigint() }}) as customers,
        cast(by_segment.mean_value as {{ type_double() }}) as mean_value,
        cast(by_segment.median_value as {{ type_double() }}) as median_value,
        cast(overall.overall_mean as {{ type_double() }}) as overall_mean,
        cast(
            case
                when overall.overall_model_scale_stddev > 0
                    then
                        (by_segment.model_scale_mean - overall.overall_model_scale_mean)
                        / overall.overall_model_scale_stddev
            end as {{ type_double() }}
        ) as z_score
    from by_segment
    inner join overall
        on
            by_segment.source = overall.source
            and by_segment.feature = overall.feature

)

select * from final
