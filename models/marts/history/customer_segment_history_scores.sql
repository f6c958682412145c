{#
    The cluster segment of every customer at every as-of point of the history
    (int_online_retail_customer_history), scored in SQL with the current model (macro
    predict_segment), one row per history_id. Apart from customer_segment_history, which
    names the segments, so that this, the heavy part, runs as soon as the model is fitted,
    beside customer_segment_scores.
#}
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
{# Bought up to a period: the lines so far and before it (so far, less the lines of the period itself). #}
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

)

select * from scores
