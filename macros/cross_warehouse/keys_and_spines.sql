{#- Surrogate keys (md5 hex of the '|'-joined, NULL-safe string forms of the columns) and date spines. -#}

{% macro surrogate_key(columns) -%}
  {{ return(adapter.dispatch('surrogate_key', 'bitcoin')(columns)) }}
{%- endmacro %}

{% macro default__surrogate_key(columns) -%}{{ duckdb__surrogate_key(columns) }}{%- endmacro %}

{% macro duckdb__surrogate_key(columns) -%}
  md5(
  {%- for col in columns %}
    coalesce(cast({{ col }} as varchar), '_null_'){% if not loop.last %} || '|' ||{% endif %}
  {%- endfor %}
  )
{%- endmacro %}

{#- BigQuery casts a TIMESTAMP to text with a `+00` suffix that DuckDB does not write: drop it so the
    same row gets the same key on both warehouses. -#}
{% macro bigquery__surrogate_key(columns) -%}
  to_hex(md5(concat(
  {%- for col in columns %}
    coalesce(regexp_replace(cast({{ col }} as string), r'\+00$', ''), '_null_'){% if not loop.last %}, '|',{% endif %}
  {%- endfor %}
  )))
{%- endmacro %}

{#- A one-column relation `date_day` with every day from start_date to end_date inclusive.
    Both arguments are SQL date expressions (scalar subqueries allowed). -#}
{% macro date_spine(start_date, end_date) -%}
  {{ return(adapter.dispatch('date_spine', 'bitcoin')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}{{ duckdb__date_spine(start_date, end_date) }}{%- endmacro %}

{% macro duckdb__date_spine(start_date, end_date) -%}
  select cast(spine.day_ts as date) as date_day
  from (
    select unnest(generate_series(
      cast(({{ start_date }}) as timestamp), cast(({{ end_date }}) as timestamp), interval 1 day
    )) as day_ts
  ) as spine
{%- endmacro %}

{% macro bigquery__date_spine(start_date, end_date) -%}
  select date_day
  from unnest(generate_date_array(cast(({{ start_date }}) as date), cast(({{ end_date }}) as date), interval 1 day)) as date_day
{%- endmacro %}
