{#- JSON columns (Airbyte writes object/array properties as JSON): extract a scalar as text, or render
    the whole value as a JSON string. Paths use JSONPath ('$.a.b', '$[0]'). -#}

{% macro json_scalar(json_expr, path) -%}
  {{ return(adapter.dispatch('json_scalar', 'bitcoin')(json_expr, path)) }}
{%- endmacro %}

{% macro default__json_scalar(json_expr, path) -%}{{ duckdb__json_scalar(json_expr, path) }}{%- endmacro %}

{% macro duckdb__json_scalar(json_expr, path) -%}
  json_extract_string(cast({{ json_expr }} as json), '{{ path }}')
{%- endmacro %}

{% macro bigquery__json_scalar(json_expr, path) -%}json_value({{ json_expr }}, '{{ path }}'){%- endmacro %}

{% macro json_text(json_expr) -%}
  {{ return(adapter.dispatch('json_text', 'bitcoin')(json_expr)) }}
{%- endmacro %}

{% macro default__json_text(json_expr) -%}{{ duckdb__json_text(json_expr) }}{%- endmacro %}

{% macro duckdb__json_text(json_expr) -%}cast(cast({{ json_expr }} as json) as varchar){%- endmacro %}

{% macro bigquery__json_text(json_expr) -%}to_json_string({{ json_expr }}){%- endmacro %}

{#- Number of elements of a JSON array (NULL when not an array). -#}
{% macro json_array_length(json_expr) -%}
  {{ return(adapter.dispatch('json_array_length', 'bitcoin')(json_expr)) }}
{%- endmacro %}

{% macro default__json_array_length(json_expr) -%}{{ duckdb__json_array_length(json_expr) }}{%- endmacro %}

{% macro duckdb__json_array_length(json_expr) -%}
  cast(json_array_length(cast({{ json_expr }} as json)) as bigint)
{%- endmacro %}

{% macro bigquery__json_array_length(json_expr) -%}array_length(json_query_array({{ json_expr }})){%- endmacro %}
