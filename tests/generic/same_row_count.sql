{#
    The tested relation has as many rows as another one: a cheap guard against a join that
    adds (fan-out) or drops lines, for line-level models too large to test key by key.
#}
{% test same_row_count(model, compare_model) %}

with

tested as (
    select count(*) as row_count from {{ model }}
),

compared as (
    select count(*) as row_count from {{ compare_model }}
),

final as (
    select
        tested.row_count as tested_row_count,
        compared.row_count as compared_row_count
    from tested
    cross join compared
)

select * from final
where tested_row_count <> compared_row_count

{% endtest %}
