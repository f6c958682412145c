{#
    Fails on every row whose shares, where present, do not add up to 1 within the
    tolerance. Rows whose shares are all NULL (nothing to share) pass.
#}
{% test shares_sum_to_one(model, columns, tolerance=1e-9) %}

with

totals as (
    select
        {{ columns | join(' + ') }} as share_total
    from {{ model }}
)

select share_total
from totals
where share_total is not null
    and abs(share_total - 1) > {{ tolerance }}

{% endtest %}
