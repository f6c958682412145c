{#
    Every raw row ends in exactly one place: the test fails when the rows of the tested
    relation (a raw source) differ from the clean rows plus the rejected rows.
#}
{% test rows_accounted_for(model, clean_model, rejected_model) %}

with

raw_rows as (
    select count(*) as row_count from {{ model }}
),

clean_rows as (
    select count(*) as row_count from {{ clean_model }}
),

rejected_rows as (
    select count(*) as row_count from {{ rejected_model }}
),

final as (
    select
        raw_rows.row_count as raw_row_count,
        clean_rows.row_count as clean_row_count,
        rejected_rows.row_count as rejected_row_count
    from raw_rows
    cross join clean_rows
    cross join rejected_rows
)

select * from final
where raw_row_count <> clean_row_count + rejected_row_count

{% endtest %}
