{#
    The figures on the card of each segment in the segment report, one row per segment and
    figure: the features listed per source in var segment_report_figures, read from
    segment_feature_profiles and shown as seed feature_display says (the median for money,
    counts and days, the mean for shares), for the segment and for all customers of the
    source, as numbers and as text in business units.
#}

{%- set card_features = [] -%}
{%- for source, features in var('segment_report_figures').items() -%}
    {%- for feature in features -%}
        {%- do card_features.append(
            "select '" ~ source ~ "' as source, '" ~ feature ~ "' as feature, "
            ~ loop.index ~ " as figure_position"
        ) -%}
    {%- endfor -%}
{%- endfor -%}

with

card_features as (

    {{ card_features | join('\n    union all\n    ') }}

),

profiles as (

    select
        source,
        segment_id,
        feature,
        mean_value,
        median_value,
        overall_mean,
        overall_median
    from {{ ref('segment_feature_profiles') }}

),

display as (

    select
        source,
        feature,
        label,
        unit,
        statistic,
        multiplier,
        decimals
    from {{ ref('feature_display') }}

),

shown as (

    select
        profiles.source,
        profiles.segment_id,
        card_features.figure_position,
        profiles.feature,
        display.label,
        display.statistic,
        display.unit,
        display.decimals,
        display.multiplier * case
            when display.statistic = 'mean' then profiles.mean_value else profiles.median_value
        end as segment_value,
        display.multiplier * case
            when display.statistic = 'mean' then profiles.overall_mean else profiles.overall_median
        end as overall_value
    from profiles
    inner join card_features
        on
            profiles.source = card_features.source
            and profiles.feature = card_features.feature
    inner join display
        on
            profiles.source = display.source
            and profiles.feature = display.feature

),

final as (

    select
        source,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        cast(figure_position as {{ dbt.type_int() }}) as figure_position,
        feature,
        label,
        statistic,
        unit,
        cast(segment_value as {{ type_double() }}) as segment_value,
        cast(overall_value as {{ type_double() }}) as overall_value,
        {{ format_figure('segment_value', 'decimals', 'unit') }} as segment_text,
        {{ format_figure('overall_value', 'decimals', 'unit') }} as overall_text
    from shown

)

select * from final
