{#- Division that yields NULL instead of failing when the divisor is 0 or NULL. -#}
{% macro safe_divide(numerator, denominator) -%}
  {{ return(adapter.dispatch('safe_divide', 'bitcoin')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}{{ duckdb__safe_divide(numerator, denominator) }}{%- endmacro %}

{% macro duckdb__safe_divide(numerator, denominator) -%}
  (cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0))
{%- endmacro %}

{% macro bigquery__safe_divide(numerator, denominator) -%}
  safe_divide(cast({{ numerator }} as float64), cast({{ denominator }} as float64))
{%- endmacro %}

{#- Percent change from old to new: 100 * (new - old) / old, NULL when old is 0 or NULL. -#}
{% macro pct_change(new_value, old_value) -%}
  (100 * {{ safe_divide('(' ~ new_value ~ ') - (' ~ old_value ~ ')', old_value) }})
{%- endmacro %}
