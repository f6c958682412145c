{#
    The segment report's marts cover every segment completely: the RFM mix accounts for
    every customer of the segment, every card has one figure per feature of var
    segment_report_figures, and every segment has a row per product category. Fails with
    one row per segment that is short or over.
#}

{%- set expected_figures = [] -%}
{%- for source, features in var('segment_report_figures').items() -%}
    {%- do expected_figures.append("select '" ~ source ~ "' as source, " ~ features | length ~ " as figures") -%}
{%- endfor -%}

with

profiles as (

    select
        source,
        segment_id,
        customers
    from {{ ref('segment_profiles') }}

),

rfm_mix as (

    select
        source,
        segment_id,
        sum(customers) as customers
    from {{ ref('segment_rfm_mix') }}
    group by source, segment_id

),

figures as (

    select
        source,
        segment_id,
        count(*) as figures
    from {{ ref('segment_report_figures') }}
    group by source, segment_id

),

expected_figures as (

    {{ expected_figures | join('\n    union all\n    ') }}

),

categories as (

    select
        source,
        segment_id,
        count(*) as categories
    from {{ ref('segment_category_shares') }}
    group by source, segment_id

),

expected_categories as (

    select
        source,
        count(*) as categories
    from {{ ref('feature_display') }}
    where unit = '% of spend'
    group by source

),

final as (

    select
        profiles.source,
        profiles.segment_id,
        profiles.customers,
        rfm_mix.customers as rfm_mix_customers,
        figures.figures,
        expected_figures.figures as expected_figures,
        categories.categories,
        expected_categories.categories as expected_categories
    from profiles
    left join rfm_mix
        on
            profiles.source = rfm_mix.source
            and profiles.segment_id = rfm_mix.segment_id
    left join figures
        on
            profiles.source = figures.source
            and profiles.segment_id = figures.segment_id
    left join expected_figures
        on profiles.source = expected_figures.source
    left join categories
        on
            profiles.source = categories.source
            and profiles.segment_id = categories.segment_id
    left join expected_categories
        on profiles.source = expected_categories.source

)

select * from final
where
    rfm_mix_customers is distinct from customers
    or coalesce(figures, 0) <> coalesce(expected_figures, 0)
    or coalesce(categories, 0) <> coalesce(expected_categories, 0)
