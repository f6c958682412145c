{# Fails on every value that is not in the list held by the dbt var var_name. #}
{% test in_var_list(model, column_name, var_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} not in (
    {%- for value in var(var_name) %}
    '{{ value }}'{{ "," if not loop.last }}
    {%- endfor %}
)

{% endtest %}
