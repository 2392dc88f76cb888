{#- dbt's generic test `unique`, dispatched: dbt-bigquery groups by the output column. -#}

{% test unique(model, column_name) %}
{{ return(adapter.dispatch('test_unique', 'dbt')(model, column_name)) }}
{% endtest %}

{% macro default__test_unique(model, column_name) %}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endmacro %}

{#- dbt-bigquery groups by the output column: BigQuery cannot group a nested field by its path. -#}
{% macro bigquery__test_unique(model, column_name) %}
with dbt_test__target as (
    select {{ column_name }} as unique_field
    from {{ model }}
    where {{ column_name }} is not null
)
select
    unique_field,
    count(*) as n_records
from dbt_test__target
group by unique_field
having count(*) > 1
{% endmacro %}
