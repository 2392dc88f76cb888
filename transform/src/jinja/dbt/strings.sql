{#- dbt's cross-database string macros (the `dbt` namespace), dispatched like dbt's own. -#}

{% macro concat(fields) -%}
    {{ return(adapter.dispatch('concat', 'dbt')(fields)) }}
{%- endmacro %}

{% macro default__concat(fields) -%}
    {{ fields | join(' || ') }}
{%- endmacro %}


{% macro hash(field) -%}
    {{ return(adapter.dispatch('hash', 'dbt')(field)) }}
{%- endmacro %}

{% macro default__hash(field) -%}
    md5(cast({{ field }} as {{ api.Column.translate_type('string') }}))
{%- endmacro %}

{#- BigQuery's md5 returns bytes: hex-encode to get the same 32-character string. -#}
{% macro bigquery__hash(field) -%}
    to_hex({{ dbt.default__hash(field) }})
{%- endmacro %}


{% macro split_part(string_text, delimiter_text, part_number) -%}
    {{ return(adapter.dispatch('split_part', 'dbt')(string_text, delimiter_text, part_number)) }}
{%- endmacro %}

{% macro default__split_part(string_text, delimiter_text, part_number) -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro %}

{#- A negative part counts from the end: the number of delimiters tells how many parts there are. -#}
{% macro _split_part_negative(string_text, delimiter_text, part_number) -%}
    {%- set delimiters = 'length(' ~ string_text ~ ') - length(replace(' ~ string_text ~ ', ' ~ delimiter_text ~ ", ''))" -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ delimiters }} + 2 + {{ part_number }})
{%- endmacro %}

{% macro duckdb__split_part(string_text, delimiter_text, part_number) -%}
    string_split({{ string_text }}, {{ delimiter_text }})[{{ part_number }}]
{%- endmacro %}

{% macro bigquery__split_part(string_text, delimiter_text, part_number) -%}
    {%- if part_number >= 0 -%}
        split({{ string_text }}, {{ delimiter_text }})[safe_offset({{ part_number - 1 }})]
    {%- else -%}
        {%- set delimiters = 'length(' ~ string_text ~ ') - length(replace(' ~ string_text ~ ', ' ~ delimiter_text ~ ", ''))" -%}
        split({{ string_text }}, {{ delimiter_text }})[safe_offset({{ delimiters }} + 1 + {{ part_number }})]
    {%- endif -%}
{%- endmacro %}


{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
    {{ return(adapter.dispatch('listagg', 'dbt')(measure, delimiter_text, order_by_clause, limit_num)) }}
{%- endmacro %}

{% macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set within = ' within group (' ~ order_by_clause ~ ')' if order_by_clause else '' -%}
    {%- if limit_num -%}
        array_to_string(array_slice(array_agg({{ measure }}){{ within }}, 0, {{ limit_num }}), {{ delimiter_text }})
    {%- else -%}
        listagg({{ measure }}, {{ delimiter_text }}){{ within }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set ordered = ' ' ~ order_by_clause if order_by_clause else '' -%}
    {%- if limit_num -%}
        list_aggr((array_agg({{ measure }}{{ ordered }}))[1:{{ limit_num }}], 'string_agg', {{ delimiter_text }})
    {%- else -%}
        string_agg({{ measure }}, {{ delimiter_text }}{{ ordered }})
    {%- endif -%}
{%- endmacro %}

{% macro bigquery__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    string_agg({{ measure }}, {{ delimiter_text }}
        {%- if order_by_clause %} {{ order_by_clause }}{% endif %}
        {%- if limit_num %} limit {{ limit_num }}{% endif %})
{%- endmacro %}


{% macro position(substring_text, string_text) -%}
    {{ return(adapter.dispatch('position', 'dbt')(substring_text, string_text)) }}
{%- endmacro %}

{% macro default__position(substring_text, string_text) -%}
    position({{ substring_text }} in {{ string_text }})
{%- endmacro %}

{% macro bigquery__position(substring_text, string_text) -%}
    strpos({{ string_text }}, {{ substring_text }})
{%- endmacro %}


{% macro replace(field, old_chars, new_chars) -%}
    {{ return(adapter.dispatch('replace', 'dbt')(field, old_chars, new_chars)) }}
{%- endmacro %}

{% macro default__replace(field, old_chars, new_chars) -%}
    replace({{ field }}, {{ old_chars }}, {{ new_chars }})
{%- endmacro %}


{% macro right(string_text, length_expression) -%}
    {{ return(adapter.dispatch('right', 'dbt')(string_text, length_expression)) }}
{%- endmacro %}

{% macro default__right(string_text, length_expression) -%}
    right({{ string_text }}, {{ length_expression }})
{%- endmacro %}

{#- substr with a negative start counts from the end; a length of 0 would mean the whole string. -#}
{% macro bigquery__right(string_text, length_expression) -%}
    case when {{ length_expression }} = 0 then '' else substr({{ string_text }}, -1 * ({{ length_expression }})) end
{%- endmacro %}


{% macro length(expression) -%}
    {{ return(adapter.dispatch('length', 'dbt')(expression)) }}
{%- endmacro %}

{% macro default__length(expression) -%}
    length({{ expression }})
{%- endmacro %}


{% macro escape_single_quotes(expression) -%}
    {{ return(adapter.dispatch('escape_single_quotes', 'dbt')(expression)) }}
{%- endmacro %}

{% macro default__escape_single_quotes(expression) -%}
    {{ expression | replace("'", "''") }}
{%- endmacro %}

{% macro bigquery__escape_single_quotes(expression) -%}
    {{ expression | replace("'", "\\'") }}
{%- endmacro %}


{% macro string_literal(value) -%}
    {{ return(adapter.dispatch('string_literal', 'dbt')(value)) }}
{%- endmacro %}

{% macro default__string_literal(value) -%}
    '{{ value }}'
{%- endmacro %}

{#- A triple-quoted literal may hold single quotes and newlines. -#}
{% macro bigquery__string_literal(value) -%}
    '''{{ value }}'''
{%- endmacro %}


{% macro cast_bool_to_text(field) -%}
    {{ adapter.dispatch('cast_bool_to_text', 'dbt')(field) }}
{%- endmacro %}

{% macro default__cast_bool_to_text(field) -%}
    cast({{ field }} as {{ api.Column.translate_type('string') }})
{%- endmacro %}
