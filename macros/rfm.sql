{#
    RFM scoring, shared by both sources.

    quintile_score: a 1-5 score from the value's rank within its partition, 5 best:
    score = 1 + floor(5 * (rank - 1) / n), with SQL rank() so that equal values share a
    rank and a score (ties are resolved the same way on every run, and two customers who
    behave the same are never split by an arbitrary order). Quintiles can be uneven when
    many customers share a value (e.g. one purchase).
#}
{% macro quintile_score(column, partition_by, higher_is_better=true) -%}
    cast(
        1 + floor(
            5.0 * (rank() over (
                partition by {{ partition_by }}
                order by {{ column }} {{ 'asc' if higher_is_better else 'desc' }}
            ) - 1)
            / count(*) over (partition by {{ partition_by }})
        ) as {{ dbt.type_int() }}
    )
{%- endmacro %}

{# The combined frequency-monetary score the segment rules read: the mean of F and M, rounded up. #}
{% macro fm_score(f_score, m_score) -%}
    cast(ceil(({{ f_score }} + {{ m_score }}) / 2.0) as {{ dbt.type_int() }})
{%- endmacro %}

{#
    The date recency, tenure and age are measured at: the dbt var `var_name` when set,
    else the day after `latest_date` (an aggregate such as max(invoice_date)). Never
    today's date, so that a rebuild on the same data gives the same figures. An aggregate
    either way, so that `select reference_date(...) from t` is one row.
#}
{% macro reference_date(var_name, latest_date) -%}
    {%- if var(var_name) -%}
        max(cast('{{ var(var_name) }}' as date))
    {%- else -%}
        cast({{ dbt.dateadd('day', 1, latest_date) }} as date)
    {%- endif -%}
{%- endmacro %}

{#
    The join condition of a scored relation (r_score, f_score, m_score) to the seed
    rfm_segment_rules: the rule whose R range and FM range hold the scores.
#}
{% macro rfm_rule_matches(scored, rules) -%}
    {{ scored }}.r_score between {{ rules }}.r_score_min and {{ rules }}.r_score_max
    and {{ fm_score(scored ~ '.f_score', scored ~ '.m_score') }}
    between {{ rules }}.fm_score_min and {{ rules }}.fm_score_max
{%- endmacro %}
