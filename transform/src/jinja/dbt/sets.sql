{#- dbt's cross-database aggregates, set operators and arrays (the `dbt` namespace). -#}

{% macro any_value(expression) -%}
    {{ return(adapter.dispatch('any_value', 'dbt')(expression)) }}
{%- endmacro %}

{% macro default__any_value(expression) -%}
    any_value({{ expression }})
{%- endmacro %}

{% macro duckdb__any_value(expression) -%}
    arbitrary({{ expression }})
{%- endmacro %}


{% macro bool_or(expression) -%}
    {{ return(adapter.dispatch('bool_or', 'dbt')(expression)) }}
{%- endmacro %}

{% macro default__bool_or(expression) -%}
    bool_or({{ expression }})
{%- endmacro %}

{% macro bigquery__bool_or(expression) -%}
    logical_or({{ expression }})
{%- endmacro %}


{% macro equals(expr1, expr2) -%}
    {{ return(adapter.dispatch('equals', 'dbt')(expr1, expr2)) }}
{%- endmacro %}

{#- dbt's default (the `enable_truthy_nulls_equals_macro` behaviour flag off): plain equality. -#}
{% macro default__equals(expr1, expr2) -%}
    ({{ expr1 }} = {{ expr2 }})
{%- endmacro %}


{% macro except() -%}
    {{ return(adapter.dispatch('except', 'dbt')()) }}
{%- endmacro %}

{% macro default__except() -%}
    except
{%- endmacro %}

{% macro bigquery__except() -%}
    except distinct
{%- endmacro %}


{% macro intersect() -%}
    {{ return(adapter.dispatch('intersect', 'dbt')()) }}
{%- endmacro %}

{% macro default__intersect() -%}
    intersect
{%- endmacro %}

{% macro bigquery__intersect() -%}
    intersect distinct
{%- endmacro %}


{% macro array_construct(inputs=[], data_type=api.Column.translate_type('integer')) -%}
    {{ return(adapter.dispatch('array_construct', 'dbt')(inputs, data_type)) }}
{%- endmacro %}

{% macro default__array_construct(inputs, data_type) -%}
    {%- if inputs | length > 0 -%}
        array[ {{ inputs | join(' , ') }} ]
    {%- else -%}
        array[]::{{ data_type }}[]
    {%- endif -%}
{%- endmacro %}

{% macro bigquery__array_construct(inputs, data_type) -%}
    {%- if inputs | length > 0 -%}
        [ {{ inputs | join(' , ') }} ]
    {%- else -%}
        ARRAY<{{ data_type }}>[]
    {%- endif -%}
{%- endmacro %}


{% macro array_append(array, new_element) -%}
    {{ return(adapter.dispatch('array_append', 'dbt')(array, new_element)) }}
{%- endmacro %}

{% macro default__array_append(array, new_element) -%}
    array_append({{ array }}, {{ new_element }})
{%- endmacro %}

{% macro bigquery__array_append(array, new_element) -%}
    {{ array_concat(array, array_construct([new_element])) }}
{%- endmacro %}


{% macro array_concat(array_1, array_2) -%}
    {{ return(adapter.dispatch('array_concat', 'dbt')(array_1, array_2)) }}
{%- endmacro %}

{% macro default__array_concat(array_1, array_2) -%}
    array_cat({{ array_1 }}, {{ array_2 }})
{%- endmacro %}

{% macro bigquery__array_concat(array_1, array_2) -%}
    array_concat({{ array_1 }}, {{ array_2 }})
{%- endmacro %}
