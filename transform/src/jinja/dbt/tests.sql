{#- Global macros dbt's test materialization gives packages. -#}

{#- True when this test stores its failing rows (`store_failures` config, else --store-failures). -#}
{% macro should_store_failures() -%}
    {%- set configured = config.get('store_failures') -%}
    {%- if configured is none -%}
        {%- set configured = flags.STORE_FAILURES -%}
    {%- endif -%}
    {{ return(configured) }}
{%- endmacro %}
