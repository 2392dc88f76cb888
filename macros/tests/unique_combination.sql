{#- Generic model-level test: no two rows share the same values of `columns` (a composite key).
    Fails on each duplicated key with its count. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as duplicate_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
