{#- Generic model-level test: the model has between min_rows and max_rows rows (max optional).
    Used on one-row reports and on facts that must not come out empty. -#}
{% test row_count_between(model, min_rows=1, max_rows=none) %}
select row_count
from (select count(*) as row_count from {{ model }}) as counted
where row_count < {{ min_rows }}
  {%- if max_rows is not none %} or row_count > {{ max_rows }}{% endif %}
{% endtest %}
