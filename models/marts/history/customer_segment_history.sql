{#
    The retailer’s customers at every as-of point of the history (var segment_history_period;
    the last point is the as-of date): each customer’s RFM segment at that point (scored
    within the point’s customers, as int_customer_rfm_scored scores today’s) and cluster
    segment, scored in SQL with the current model (macro predict_segment), so the history
    speaks in today’s segment ids and names. A point closes the period before it
    (period_start: the point 2011-12-01 closes November 2011). Revenue is the customer’s net
    spend added in that period. At the last point the segments are today’s (tested).
#}
{# Read per point by the transitions, the moves and BI: a table. #}
{{ config(materialized='table') }}

with

history as (

    select * from {{ ref('int_online_retail_customer_history') }}

),

features as (

    select * exclude (customer_id, as_of_date, first_purchase_date, last_purchase_date)
    from history

),

item_model as (

    select
        feature,
        item,
        loading
    from {{ ref('segment_model_items') }}
    where source = 'online_retail'

),

{#
    The item pattern as of every point, without summing each customer’s items up to each
    point: an item’s value (macro item_pattern_value) changes only in the periods the customer
    bought it, so each period adds the change of value times the item’s loadings, and of the
    squared value; running totals of those, divided by the square root of the squared total,
    are the scores predict_segment computes from the items at once (the same arithmetic, in
    exact sums). One row per customer, item and period, not per point.
#}
{# Bought up to a period: the lines so far and before it (so far less the period's own). #}
item_changes as (

    select
        customer_id,
        stock_code,
        counts_from,
        {{ item_pattern_value('lines_so_far') }} - {{ item_pattern_value('lines_so_far - purchase_lines') }}
            as value_change,
        {{ item_pattern_value('lines_so_far') }} * {{ item_pattern_value('lines_so_far') }}
        - {{ item_pattern_value('lines_so_far - purchase_lines') }}
        * {{ item_pattern_value('lines_so_far - purchase_lines') }} as squared_change
    from (
        select
            item_periods.customer_id,
            item_periods.stock_code,
            item_periods.counts_from,
            item_periods.purchase_lines,
            sum(item_periods.purchase_lines) over (
                partition by item_periods.customer_id, item_periods.stock_code
                order by item_periods.counts_from
                rows between unbounded preceding and current row
            ) as lines_so_far
        from {{ ref('int_online_retail_customer_item_periods') }} as item_periods
        where item_periods.stock_code in (select item_model.item from item_model)
    ) as item_lines

),

score_totals as (

    select
        customer_id,
        feature,
        counts_from,
        sum(period_change) over (
            partition by customer_id, feature order by counts_from rows between unbounded preceding and current row
        ) as total
    from (
        select
            item_changes.customer_id,
            item_model.feature,
            item_changes.counts_from,
            sum({{ exact_decimal('item_changes.value_change * item_model.loading') }}) as period_change
        from item_changes
        inner join item_model
            on item_changes.stock_code = item_model.item
        group by item_changes.customer_id, item_model.feature, item_changes.counts_from
    ) as changes

),

norm_totals as (

    select
        customer_id,
        counts_from,
        sum(period_change) over (
            partition by customer_id order by counts_from rows between unbounded preceding and current row
        ) as total
    from (
        select
            customer_id,
            counts_from,
            sum({{ exact_decimal('squared_change') }}) as period_change
        from item_changes
        group by customer_id, counts_from
    ) as changes

),

item_features as (

    select distinct feature
    from item_model

),

{# Each point takes the totals of the customer’s last period with items up to it. #}
history_item_scores as (

    select
        point_scores.history_id,
        point_scores.feature,
        cast(point_scores.total as {{ type_double() }})
        / sqrt(cast(point_norms.total as {{ type_double() }})) as value  -- noqa: RF04
    from (
        select
            history.history_id,
            history.customer_id,
            history.as_of_date,
            item_features.feature,
            score_totals.total
        from history
        cross join item_features
        asof join score_totals
            on
                history.customer_id = score_totals.customer_id
                and item_features.feature = score_totals.feature
                and history.as_of_date >= score_totals.counts_from
    ) as point_scores
    asof join norm_totals as point_norms
        on
            point_scores.customer_id = point_norms.customer_id
            and point_scores.as_of_date >= point_norms.counts_from
    where point_norms.total > 0

),

scores as (

    {{ predict_segment('features', 'online_retail', id_column='history_id', item_scores='history_item_scores') }}

),

profiles as (

    select
        segment_id,
        segment_name
    from {{ ref('segment_profiles') }}
    where source = 'online_retail'

),

segment_rules as (

    select
        rfm_segment,
        lifecycle_stage,
        r_score_min,
        r_score_max,
        fm_score_min,
        fm_score_max
    from {{ ref('rfm_segment_rules') }}

),

rfm_scored as (

    select
        history_id,
        {{ quintile_score('recency_days', 'as_of_date', higher_is_better=false) }} as r_score,
        {{ quintile_score('frequency', 'as_of_date') }} as f_score,
        {{ quintile_score('monetary_gbp', 'as_of_date') }} as m_score
    from history

),

rfm_named as (

    select
        rfm_scored.history_id,
        segment_rules.rfm_segment,
        segment_rules.lifecycle_stage
    from rfm_scored
    left join segment_rules
        on {{ rfm_rule_matches('rfm_scored', 'segment_rules') }}

),

final as (

    select
        'online_retail' as source,
        cast(history.customer_id as {{ dbt.type_string() }}) as customer_id,
        history.as_of_date,
        cast({{ dbt.date_trunc(var('segment_history_period'), dbt.dateadd('day', -1, 'history.as_of_date')) }} as date)
            as period_start,
        lag(history.as_of_date) over (
            partition by history.customer_id order by history.as_of_date
        ) as previous_as_of_date,
        history.as_of_date = max(history.as_of_date) over () as is_latest,
        cast(scores.segment_id as {{ dbt.type_int() }}) as segment_id,
        profiles.segment_name,
        rfm_named.rfm_segment,
        rfm_named.lifecycle_stage,
        cast(history.recency_days as {{ dbt.type_int() }}) as recency_days,
        cast(history.frequency as {{ dbt.type_int() }}) as frequency,
        cast(history.monetary_gbp as decimal(38, 2)) as monetary_gbp,
        cast(
            history.monetary_gbp - coalesce(lag(history.monetary_gbp) over (
                partition by history.customer_id order by history.as_of_date
            ), 0) as decimal(38, 2)
        ) as period_revenue_gbp,
        scores.model_version
    from history
    inner join scores
        on history.history_id = scores.history_id
    inner join profiles
        on scores.segment_id = profiles.segment_id
    inner join rfm_named
        on history.history_id = rfm_named.history_id

)

select * from final
