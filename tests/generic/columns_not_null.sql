{#
    The columns of `column_names` are never NULL, checked in one pass over the tested model (one
    scan of a line-level table instead of one per column, issue #13). Fails with one row per
    column that holds a NULL, with the count.
#}
{% test columns_not_null(model, column_names) %}

with

counts as (
    select
        {%- for column in column_names %}
        count(*) filter (where {{ column }} is null) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
),

final as (
    {%- for column in column_names %}
    select
        '{{ column }}' as column_name,
        {{ column }} as null_rows
    from counts
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select * from final
where null_rows > 0

{% endtest %}
