{#
    Warns (severity warn in the YAML) for every source whose segmentation is weak: the k rule
    fell back, or the segments are slices of a continuum rather than clear groups. Each row
    says why, so the build summary counts it and the log shows it.
#}
{% test segmentation_structure_is_clear(model) %}

select
    source,
    structure_detail,
    choice_reason
from {{ model }}
where
    status = 'fitted'
    and (is_k_rule_fallback or structure_verdict <> 'clear groups')

{% endtest %}
