{#- Timestamp/date arithmetic: truncation, adding units, the current UTC time, ISO weekday.
    DuckDB timestamps here are naive UTC; BigQuery TIMESTAMP is UTC by definition. -#}

{#- Truncate a timestamp to 'hour' or 'day'; returns a timestamp. -#}
{% macro trunc_ts(part, expr) -%}
  {{ return(adapter.dispatch('trunc_ts', 'bitcoin')(part, expr)) }}
{%- endmacro %}

{% macro default__trunc_ts(part, expr) -%}date_trunc('{{ part }}', {{ expr }}){%- endmacro %}

{% macro duckdb__trunc_ts(part, expr) -%}
  cast(date_trunc('{{ part }}', cast({{ expr }} as timestamp)) as timestamp)
{%- endmacro %}

{% macro bigquery__trunc_ts(part, expr) -%}timestamp_trunc({{ expr }}, {{ part }}){%- endmacro %}

{#- Truncate a date: 'week' (ISO, Monday), 'week_sunday' (GitHub's weeks), 'month'; returns a date. -#}
{% macro trunc_date(part, expr) -%}
  {{ return(adapter.dispatch('trunc_date', 'bitcoin')(part, expr)) }}
{%- endmacro %}

{% macro default__trunc_date(part, expr) -%}{{ duckdb__trunc_date(part, expr) }}{%- endmacro %}

{% macro duckdb__trunc_date(part, expr) -%}
  {%- if part == 'week_sunday' -%}
  cast(cast(date_trunc('week', cast({{ expr }} as date) + 1) as date) - 1 as date)
  {%- else -%}
  cast(date_trunc('{{ part }}', cast({{ expr }} as date)) as date)
  {%- endif -%}
{%- endmacro %}

{% macro bigquery__trunc_date(part, expr) -%}
  {%- set parts = {'week': 'isoweek', 'week_sunday': 'week', 'month': 'month', 'day': 'day'} -%}
  date_trunc(cast({{ expr }} as date), {{ parts[part] }})
{%- endmacro %}

{#- Add n days to a date (n may be negative or an expression); returns a date. -#}
{% macro add_days(expr, n) -%}
  {{ return(adapter.dispatch('add_days', 'bitcoin')(expr, n)) }}
{%- endmacro %}

{% macro default__add_days(expr, n) -%}{{ duckdb__add_days(expr, n) }}{%- endmacro %}

{% macro duckdb__add_days(expr, n) -%}cast(cast({{ expr }} as date) + cast({{ n }} as integer) as date){%- endmacro %}

{% macro bigquery__add_days(expr, n) -%}date_add(cast({{ expr }} as date), interval {{ n }} day){%- endmacro %}

{#- Add n units ('hour', 'day') to a timestamp; returns a timestamp. -#}
{% macro add_to_ts(part, n, expr) -%}
  {{ return(adapter.dispatch('add_to_ts', 'bitcoin')(part, n, expr)) }}
{%- endmacro %}

{% macro default__add_to_ts(part, n, expr) -%}{{ duckdb__add_to_ts(part, n, expr) }}{%- endmacro %}

{% macro duckdb__add_to_ts(part, n, expr) -%}
  cast({{ expr }} as timestamp) + to_{{ part }}s(cast({{ n }} as integer))
{%- endmacro %}

{% macro bigquery__add_to_ts(part, n, expr) -%}timestamp_add({{ expr }}, interval {{ n }} {{ part }}){%- endmacro %}

{#- Whole days from start to end (end - start). -#}
{% macro days_between(start_expr, end_expr) -%}
  {{ return(adapter.dispatch('days_between', 'bitcoin')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__days_between(start_expr, end_expr) -%}{{ duckdb__days_between(start_expr, end_expr) }}{%- endmacro %}

{% macro duckdb__days_between(start_expr, end_expr) -%}
  date_diff('day', cast({{ start_expr }} as date), cast({{ end_expr }} as date))
{%- endmacro %}

{% macro bigquery__days_between(start_expr, end_expr) -%}
  date_diff(cast({{ end_expr }} as date), cast({{ start_expr }} as date), day)
{%- endmacro %}

{#- The current time as a UTC timestamp comparable with the raw timestamp columns. -#}
{% macro now_utc() -%}
  {{ return(adapter.dispatch('now_utc', 'bitcoin')()) }}
{%- endmacro %}

{% macro default__now_utc() -%}{{ duckdb__now_utc() }}{%- endmacro %}

{% macro duckdb__now_utc() -%}cast(timezone('UTC', now()) as timestamp){%- endmacro %}

{% macro bigquery__now_utc() -%}current_timestamp(){%- endmacro %}

{#- ISO day of week: Monday = 1 ... Sunday = 7. -#}
{% macro iso_day_of_week(expr) -%}
  {{ return(adapter.dispatch('iso_day_of_week', 'bitcoin')(expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(expr) -%}{{ duckdb__iso_day_of_week(expr) }}{%- endmacro %}

{% macro duckdb__iso_day_of_week(expr) -%}cast(isodow(cast({{ expr }} as date)) as bigint){%- endmacro %}

{% macro bigquery__iso_day_of_week(expr) -%}mod(extract(dayofweek from cast({{ expr }} as date)) + 5, 7) + 1{%- endmacro %}
