{#
    The value models' inputs per the library's conventions (days), one row per customer of
    `days` (a relation with customer_id, purchase_date, purchase_value_gbp and the column or
    expression `end_date`, the exclusive end of observation; every purchase before it):
    frequency = repeat purchases, recency = first to last purchase, tenure (the library's T) =
    first purchase to the day before the end, monetary_value = mean value of the repeat
    purchases (0 without). Read by customer_value_inputs and customer_value_calibration_inputs.
#}
{% macro value_model_inputs(days, end_date) %}
    select
        customer_id,
        count(*) - 1 as frequency,
        {{ dbt.datediff('min(purchase_date)', 'max(purchase_date)', 'day') }} as recency,
        {{ dbt.datediff('min(purchase_date)', 'max(end_date)', 'day') }} - 1 as tenure,
        coalesce(avg(case when not is_first_purchase then purchase_value_gbp end), 0) as monetary_value
    from (
        select
            customer_id,
            purchase_date,
            purchase_value_gbp,
            {{ end_date }} as end_date,
            purchase_date = min(purchase_date) over (partition by customer_id) as is_first_purchase
        from {{ days }}
    ) as days
    group by customer_id
{% endmacro %}
