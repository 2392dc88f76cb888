{#- The macros a `{% materialization %}` block calls, under dbt's names and dispatched as dbt's are
    (a project's `default__create_table_as` or `duckdb__make_temp_relation` wins). The DDL text comes
    from transform's warehouse (`__transform_*`, jinja/materialization_fns.rs). -#}

{% macro load_cached_relation(relation) -%}
  {{ return(load_relation(relation)) }}
{%- endmacro %}

{% macro drop_relation_if_exists(relation) -%}
  {%- if relation is not none -%}{{ adapter.drop_relation(relation) }}{%- endif -%}
{%- endmacro %}

{% macro make_intermediate_relation(base_relation, suffix='__dbt_tmp') -%}
  {{ return(adapter.dispatch('make_intermediate_relation', 'dbt')(base_relation, suffix)) }}
{%- endmacro %}

{% macro default__make_intermediate_relation(base_relation, suffix) -%}
  {{ return(base_relation.incorporate(path={'identifier': base_relation.identifier ~ suffix})) }}
{%- endmacro %}

{% macro make_temp_relation(base_relation, suffix='__dbt_tmp') -%}
  {{ return(adapter.dispatch('make_temp_relation', 'dbt')(base_relation, suffix)) }}
{%- endmacro %}

{% macro default__make_temp_relation(base_relation, suffix) -%}
  {{ return(__transform_temp_relation(base_relation, suffix)) }}
{%- endmacro %}

{% macro make_backup_relation(base_relation, backup_relation_type, suffix='__dbt_backup') -%}
  {{ return(adapter.dispatch('make_backup_relation', 'dbt')(base_relation, backup_relation_type, suffix)) }}
{%- endmacro %}

{% macro default__make_backup_relation(base_relation, backup_relation_type, suffix) -%}
  {{ return(base_relation.incorporate(path={'identifier': base_relation.identifier ~ suffix}, type=backup_relation_type)) }}
{%- endmacro %}

{% macro should_full_refresh() -%}
  {%- set configured = config.get('full_refresh') -%}
  {{ return(flags.FULL_REFRESH if configured is none else configured) }}
{%- endmacro %}

{% macro set_sql_header(config) -%}
  {{ config.set('sql_header', caller()) }}
{%- endmacro %}

{#- The SQL header a model set, then the statement. -#}
{% macro __transform_with_header(statement_sql) -%}
  {%- set header = config.get('sql_header') -%}
  {%- if header is not none %}{{ header }}
{% endif -%}
  {{ statement_sql }}
{%- endmacro %}

{% macro __transform_no_contract(what) -%}
  {%- if (config.get('contract') or {}).get('enforced') -%}
    {{ exceptions.raise_not_implemented(what ~ ': an enforced contract in a custom materialization is not supported by transform (model ' ~ model.name ~ ')') }}
  {%- endif -%}
{%- endmacro %}

{% macro get_create_table_as_sql(temporary, relation, sql) -%}
  {{ return(adapter.dispatch('get_create_table_as_sql', 'dbt')(temporary, relation, sql)) }}
{%- endmacro %}

{% macro default__get_create_table_as_sql(temporary, relation, sql) -%}
  {{ return(create_table_as(temporary, relation, sql)) }}
{%- endmacro %}

{% macro create_table_as(temporary, relation, compiled_code, language='sql') -%}
  {{ return(adapter.dispatch('create_table_as', 'dbt')(temporary, relation, compiled_code, language)) }}
{%- endmacro %}

{% macro default__create_table_as(temporary, relation, compiled_code, language='sql') -%}
  {%- if language != 'sql' -%}
    {{ exceptions.raise_not_implemented('create_table_as: transform builds SQL models only, not ' ~ language) }}
  {%- endif -%}
  {{ __transform_no_contract('create_table_as') }}
  {{ return(__transform_with_header(__transform_create_table(temporary, relation, compiled_code))) }}
{%- endmacro %}

{% macro get_create_view_as_sql(relation, sql) -%}
  {{ return(adapter.dispatch('get_create_view_as_sql', 'dbt')(relation, sql)) }}
{%- endmacro %}

{% macro default__get_create_view_as_sql(relation, sql) -%}
  {{ return(create_view_as(relation, sql)) }}
{%- endmacro %}

{% macro create_view_as(relation, sql) -%}
  {{ return(adapter.dispatch('create_view_as', 'dbt')(relation, sql)) }}
{%- endmacro %}

{% macro default__create_view_as(relation, sql) -%}
  {{ __transform_no_contract('create_view_as') }}
  {{ return(__transform_with_header(__transform_create_view(relation, sql))) }}
{%- endmacro %}

{% macro copy_grants() -%}
  {{ return(adapter.dispatch('copy_grants', 'dbt')()) }}
{%- endmacro %}

{% macro default__copy_grants() -%}
  {{ return(True) }}
{%- endmacro %}

{% macro should_revoke(existing_relation, full_refresh_mode=True) -%}
  {%- if existing_relation is none or not existing_relation -%}
    {{ return(False) }}
  {%- endif -%}
  {{ return(copy_grants() if full_refresh_mode else True) }}
{%- endmacro %}

{% macro apply_grants(relation, grant_config, should_revoke=True) -%}
  {%- if grant_config -%}{{ __transform_apply_grants(relation, grant_config, should_revoke) }}{%- endif -%}
{%- endmacro %}

{% macro persist_docs(relation, model, for_relation=true, for_columns=true) -%}
  {%- set wanted = config.get('persist_docs') or {} -%}
  {%- if (for_relation and wanted.get('relation')) or (for_columns and wanted.get('columns')) -%}
    {{ exceptions.raise_not_implemented('persist_docs: writing descriptions to the warehouse is not supported by transform (model ' ~ model.name ~ ')') }}
  {%- endif -%}
{%- endmacro %}

{% macro create_indexes(relation) -%}
  {%- if config.get('indexes') -%}
    {{ exceptions.raise_not_implemented('create_indexes: the `indexes` config is not supported by transform (model ' ~ model.name ~ ')') }}
  {%- endif -%}
{%- endmacro %}

{#- transform creates no indexes, so there are none of its own to drop before a rename. -#}
{% macro drop_indexes_on_relation(relation) -%}
{%- endmacro %}
