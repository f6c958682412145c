{#
    One row per source for the head of the segment report: customers and segments, the
    date the figures are measured at, the unit of its revenue (seed feature_display of the
    var segment_revenue_features feature), and the structure verdict of segment_models
    said in plain words for a marketer.
#}

{%- set revenue_features = [] -%}
{%- for source, feature in var('segment_revenue_features').items() -%}
    {%- do revenue_features.append("select '" ~ source ~ "' as source, '" ~ feature ~ "' as feature") -%}
{%- endfor -%}

with

models as (

    select
        source,
        status,
        segments,
        customers,
        structure_verdict,
        model_version
    from {{ ref('segment_models') }}

),

online_retail_customers as (

    select as_of_date
    from {{ ref('online_retail_customers') }}

),

smartcart_customers as (

    select reference_date
    from {{ ref('smartcart_customers') }}

),

display as (

    select
        source,
        feature,
        unit
    from {{ ref('feature_display') }}

),

revenue_features as (

    {{ revenue_features | join('\n    union all\n    ') }}

),

as_of_dates as (

    select
        'online_retail' as source,
        max(as_of_date) as as_of_date
    from online_retail_customers
    union all
    select
        'smartcart' as source,
        max(reference_date) as as_of_date
    from smartcart_customers

),

revenue_units as (

    select
        revenue_features.source,
        display.unit as revenue_unit
    from revenue_features
    inner join display
        on
            revenue_features.source = display.source
            and revenue_features.feature = display.feature

),

final as (

    select
        models.source,
        cast(models.customers as {{ dbt.type_bigint() }}) as customers,
        cast(models.segments as {{ dbt.type_int() }}) as segments,
        as_of_dates.as_of_date,
        revenue_units.revenue_unit,
        models.structure_verdict,
        models.model_version,
        case models.structure_verdict
            when 'clear groups'
                then
                    'The segments are clear groups: customers in one segment are alike and differ'
                    || ' clearly from the customers of the other segments.'
            when 'useful slices of a continuum'
                then
                    'The segments are useful slices of a continuum rather than separate groups:'
                    || ' customers change gradually from one segment to the next, so a customer near'
                    || ' a border could belong to either. Use them to choose and tailor campaigns, not'
                    || ' as hard categories.'
        end as structure_summary
    from models
    left join as_of_dates
        on models.source = as_of_dates.source
    left join revenue_units
        on models.source = revenue_units.source
    where models.status = 'fitted'

)

select * from final
