{#
    Customers accounted for, as raw rows are: every distinct non-NULL value of `column_name` in
    `all_ids_model` is in exactly one of the tested model and `other_model` (each keyed by
    `column_name`), and neither holds a value that is not in `all_ids_model`. Fails on every value
    that breaks it, with where it was found.
#}
{% test ids_accounted_for(model, column_name, all_ids_model, other_model) %}

with

all_ids as (
    select distinct {{ column_name }} as id
    from {{ all_ids_model }}
    where {{ column_name }} is not null
),

placed as (
    select {{ column_name }} as id, 1 as in_tested, 0 as in_other from {{ model }}
    union all
    select {{ column_name }} as id, 0 as in_tested, 1 as in_other from {{ other_model }}
),

placements as (
    select
        id,
        sum(in_tested) as in_tested,
        sum(in_other) as in_other
    from placed
    group by id
),

final as (
    select
        coalesce(all_ids.id, placements.id) as id,
        all_ids.id is not null as is_expected,
        coalesce(placements.in_tested, 0) as in_tested,
        coalesce(placements.in_other, 0) as in_other
    from all_ids
    full outer join placements
        on all_ids.id = placements.id
)

select * from final
where not is_expected or in_tested + in_other <> 1

{% endtest %}
