{#- Generic test: column_name <= other_column on every row where both are non-NULL
    (e.g. circulating supply <= max supply, low <= high). Fails on the violating rows. -#}
{% test not_greater_than(model, column_name, other_column, tolerance=0) %}
select {{ column_name }} as value, {{ other_column }} as limit_value
from {{ model }}
where {{ column_name }} is not null
  and {{ other_column }} is not null
  and {{ column_name }} > {{ other_column }} + {{ tolerance }}
{% endtest %}
