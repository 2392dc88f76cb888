{#- A source table that may legitimately be absent: CoinMarketCap streams exist only when an API key is
    configured, GitHub and Reddit streams only when those providers are enabled. Returns the source relation
    when the raw table exists; otherwise an empty relation with the given typed columns (plus the Airbyte
    columns), so staging and everything downstream build, with the KPI falling back to the other provider.
    columns: list of (name, type) pairs, types from cast_as (float, int, string, bool, timestamp, date, json). -#}
{% macro optional_source(source_name, table_name, columns) -%}
  {%- set declared = source(source_name, table_name) -%}
  {%- set existing = adapter.get_relation(database=declared.database, schema=declared.schema, identifier=declared.identifier) -%}
  {%- if existing is not none -%}
    {{ declared }}
  {%- else -%}
    {%- if execute -%}
      {{ log("raw table " ~ declared ~ " not found: " ~ table_name ~ " is read as empty", info=true) }}
    {%- endif -%}
    (
      select *
      from (
        select
          {{ cast_as('null', 'string') }} as _airbyte_raw_id,
          {{ cast_as('null', 'timestamp') }} as _airbyte_extracted_at
          {%- for column in columns %},
          {{ cast_as('null', column[1]) }} as {{ q(column[0]) }}
          {%- endfor %}
      ) as missing_row
      where 1 = 0
    ) as missing_{{ table_name }}
  {%- endif -%}
{%- endmacro %}
