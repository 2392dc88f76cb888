{#- Generic test: column_name obeys the exponential-average recurrence
        v[t] = alpha * x[t] + (1 - alpha) * v[t-1]
    row to row (rows ordered by order_by, x = input_expr), within a relative tolerance. Checks the closed-form
    EMA / Wilder averages of macros/indicators.sql against the recursion they replace. Fails on each bad row. -#}
{% test follows_ema_recursion(model, column_name, input_expr, alpha, order_by, tolerance=1e-9) %}
with ordered as (
    select
        {{ order_by }} as row_order,
        {{ column_name }} as value_now,
        {{ input_expr }} as input_now,
        lag({{ column_name }}) over (order by {{ order_by }}) as value_before
    from {{ model }}
)

select *
from ordered
where value_now is not null
  and value_before is not null
  and abs(value_now - (({{ alpha }}) * input_now + (1 - ({{ alpha }})) * value_before))
      > {{ tolerance }} * greatest(abs(value_now), 1)
{% endtest %}
