{#- Portable casts and identifier quoting: one type vocabulary (float, int, string, bool, timestamp, date)
    (and json) mapped to each warehouse's type names, so models never spell DOUBLE or FLOAT64 themselves. -#}

{% macro cast_as(expr, type_name) -%}
  {{ return(adapter.dispatch('cast_as', 'bitcoin')(expr, type_name)) }}
{%- endmacro %}

{% macro default__cast_as(expr, type_name) -%}
  {%- set types = {'float': 'double', 'int': 'bigint', 'string': 'varchar', 'bool': 'boolean',
                   'timestamp': 'timestamp', 'date': 'date', 'json': 'json'} -%}
  cast({{ expr }} as {{ types[type_name] }})
{%- endmacro %}

{% macro duckdb__cast_as(expr, type_name) -%}
  {%- set types = {'float': 'double', 'int': 'bigint', 'string': 'varchar', 'bool': 'boolean',
                   'timestamp': 'timestamp', 'date': 'date', 'json': 'json'} -%}
  cast({{ expr }} as {{ types[type_name] }})
{%- endmacro %}

{% macro bigquery__cast_as(expr, type_name) -%}
  {%- set types = {'float': 'float64', 'int': 'int64', 'string': 'string', 'bool': 'bool',
                   'timestamp': 'timestamp', 'date': 'date', 'json': 'json'} -%}
  cast({{ expr }} as {{ types[type_name] }})
{%- endmacro %}

{#- Quote a column name that is a keyword in one of the dialects (e.g. raw `timestamp`). -#}
{% macro q(name) -%}
  {{ return(adapter.dispatch('q', 'bitcoin')(name)) }}
{%- endmacro %}

{% macro default__q(name) -%}"{{ name }}"{%- endmacro %}

{% macro duckdb__q(name) -%}"{{ name }}"{%- endmacro %}

{% macro bigquery__q(name) -%}`{{ name }}`{%- endmacro %}
