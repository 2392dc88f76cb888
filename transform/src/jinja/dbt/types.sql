{#- dbt's type macros and casts (the `dbt` namespace). The names come from api.Column, which knows
    each warehouse's spelling (DuckDB `TEXT`/`integer`, BigQuery `string`/`INT64`). -#}

{% macro type_string() -%}
    {{ return(adapter.dispatch('type_string', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_string() -%}
    {{ return(api.Column.translate_type('string')) }}
{%- endmacro %}


{% macro type_timestamp() -%}
    {{ return(adapter.dispatch('type_timestamp', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_timestamp() -%}
    {{ return(api.Column.translate_type('timestamp')) }}
{%- endmacro %}


{% macro type_float() -%}
    {{ return(adapter.dispatch('type_float', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_float() -%}
    {{ return(api.Column.translate_type('float')) }}
{%- endmacro %}


{#- numeric(28,6) where the warehouse wants a precision; BigQuery's NUMERIC is fixed. -#}
{% macro type_numeric() -%}
    {{ return(adapter.dispatch('type_numeric', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_numeric() -%}
    {{ return(api.Column.numeric_type('numeric', 28, 6)) }}
{%- endmacro %}

{% macro bigquery__type_numeric() -%}
    {{ return('numeric') }}
{%- endmacro %}


{% macro type_bigint() -%}
    {{ return(adapter.dispatch('type_bigint', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_bigint() -%}
    {{ return(api.Column.translate_type('bigint')) }}
{%- endmacro %}


{% macro type_int() -%}
    {{ return(adapter.dispatch('type_int', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_int() -%}
    {{ return(api.Column.translate_type('integer')) }}
{%- endmacro %}


{% macro type_boolean() -%}
    {{ return(adapter.dispatch('type_boolean', 'dbt')()) }}
{%- endmacro %}

{% macro default__type_boolean() -%}
    {{ return(api.Column.translate_type('boolean')) }}
{%- endmacro %}


{% macro cast(field, type) -%}
    {{ return(adapter.dispatch('cast', 'dbt')(field, type)) }}
{%- endmacro %}

{% macro default__cast(field, type) -%}
    cast({{ field }} as {{ type }})
{%- endmacro %}


{% macro safe_cast(field, type) -%}
    {{ return(adapter.dispatch('safe_cast', 'dbt')(field, type)) }}
{%- endmacro %}

{#- DuckDB's try_cast exists, but dbt-duckdb keeps dbt's plain cast: a bad value is an error. -#}
{% macro default__safe_cast(field, type) -%}
    cast({{ field }} as {{ type }})
{%- endmacro %}

{#- BigQuery cannot cast a string to a STRUCT or GEOGRAPHY, nor a list to an ARRAY: literals of those
    are unquoted, and arrays are cast element by element. -#}
{% macro bigquery__safe_cast(field, type) -%}
    {%- set lowered = type.lower() -%}
    {%- set is_list = field is iterable and field is not string and field is not mapping -%}
    {%- if lowered.startswith('array') and is_list and field | length > 0 -%}
        {%- set element_type = lowered[6:-1] -%}
        {%- if dbt.cast_from_string_unsupported_for(element_type) -%}
            (select array_agg(safe_cast(i as {{ element_type }})) from unnest([
            {%- for element in field -%}
                {{ element.strip('"').strip("'") }}{{ ',' if not loop.last }}
            {%- endfor -%}
            ]) i)
        {%- else -%}
            (select array_agg(safe_cast(i as {{ element_type }})) from unnest({{ field }}) i)
        {%- endif -%}
    {%- elif lowered == 'json' and field is mapping -%}
        safe_cast(json {{ dbt.string_literal(tojson(field)) }} as json)
    {%- elif dbt.cast_from_string_unsupported_for(type) and field is string -%}
        safe_cast({{ field.strip('"').strip("'") }} as {{ type }})
    {%- else -%}
        safe_cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}

{% macro cast_from_string_unsupported_for(type) -%}
    {{ return(type.lower().startswith('struct') or type.lower() == 'geography') }}
{%- endmacro %}
