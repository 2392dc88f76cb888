{#- dbt's generic test `not_null` (one file per generic test: a macro call evaluates its whole file). -#}

{% test not_null(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
{% endtest %}
