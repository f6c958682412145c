{#
    Each segment’s product mix against its source’s: one row per segment and product
    category (the features whose seed feature_display unit is '% of spend'), with the
    segment’s and the source’s mean share of spend, the difference in percentage points,
    and the categories that set the segment apart: the var segment_report_top_categories
    categories furthest above the share of the source, with a lead of at least var
    segment_report_min_category_lead.
#}

with

profiles as (

    select
        source,
        segment_id,
        feature,
        mean_value,
        overall_mean
    from {{ ref('segment_feature_profiles') }}

),

categories as (

    select
        source,
        feature,
        label,
        unit,
        multiplier,
        decimals
    from {{ ref('feature_display') }}
    where unit = '% of spend'

),

shares as (

    select
        profiles.source,
        profiles.segment_id,
        profiles.feature,
        categories.label as category,
        categories.unit,
        categories.decimals,
        profiles.mean_value as segment_share,
        profiles.overall_mean as overall_share,
        categories.multiplier * profiles.mean_value as segment_figure,
        categories.multiplier * profiles.overall_mean as overall_figure,
        profiles.mean_value - profiles.overall_mean as share_difference
    from profiles
    inner join categories
        on
            profiles.source = categories.source
            and profiles.feature = categories.feature

),

ranked as (

    select
        *,
        row_number() over (
            partition by source, segment_id
            order by share_difference desc nulls last, feature asc
        ) as category_rank
    from shares

),

final as (

    select
        source,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        feature,
        category,
        cast(segment_share as {{ type_double() }}) as segment_share,
        cast(overall_share as {{ type_double() }}) as overall_share,
        cast(share_difference as {{ type_double() }}) as share_difference,
        cast(category_rank as {{ dbt.type_int() }}) as category_rank,
        coalesce(
            category_rank <= {{ var('segment_report_top_categories') }}
            and share_difference >= {{ var('segment_report_min_category_lead') }},
            false
        ) as sets_segment_apart,
        {{ format_figure('segment_figure', 'decimals', 'unit') }} as segment_share_text,
        {{ format_figure('overall_figure', 'decimals', 'unit', short=true) }} as overall_share_text
    from ranked

)

select * from final
