{#
    Shared by the feature tables of both sources: the reason a customer is left out of
    model fitting (the first rule that applies, NULL when none) and the flag the
    clusterer reads. `rules` is a list of (condition, reason) pairs.
#}
{% macro fit_exclusion_columns(rules) -%}
    case
        {%- for condition, reason in rules %}
            when {{ condition }} then '{{ reason }}'
        {%- endfor %}
    end as fit_exclusion_reason,
    coalesce(
        {%- for condition, reason in rules %}
            {{ condition }}{{ " or" if not loop.last }}
        {%- endfor %},
        false
    ) as is_excluded_from_fit
{%- endmacro %}

{# A numeric feature as a double, 0 where it is undefined (for example a share of nothing). #}
{% macro feature(expression, default=none) -%}
    {%- if default is none -%}
        cast({{ expression }} as {{ type_double() }})
    {%- else -%}
        cast(coalesce({{ expression }}, {{ default }}) as {{ type_double() }})
    {%- endif -%}
{%- endmacro %}
