{#- Generic test: every non-NULL value lies in [min_value, max_value] (either bound optional).
    With strict=true the bounds are exclusive (0 < dominance < 100). Fails on the rows outside. -#}
{% test in_range(model, column_name, min_value=none, max_value=none, strict=false) %}
{%- set lo_op = '>' if strict else '>=' -%}
{%- set hi_op = '<' if strict else '<=' -%}
select {{ column_name }} as out_of_range_value
from {{ model }}
where {{ column_name }} is not null
  and not (
    1 = 1
    {%- if min_value is not none %} and {{ column_name }} {{ lo_op }} {{ min_value }}{% endif %}
    {%- if max_value is not none %} and {{ column_name }} {{ hi_op }} {{ max_value }}{% endif %}
  )
{% endtest %}
