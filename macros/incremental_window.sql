{#- Incremental filters rendered as constants, so BigQuery prunes partitions with them (it does not prune on a
    subquery such as `>= (select max(date_day) - 14 from this)`). The values are read with one run_query when
    the model executes an incremental run; at parse time, on a full build and on an empty table there are none
    and nothing is filtered. Dates and timestamps travel as strings: `cast('2026-11-06' as date)`. -#}

{#- The row of aggregates `exprs` over this model's table, cast to strings, or none unless executing an
    incremental run on a table with rows (the first aggregate not NULL). With `recent_column` (of recent_type) the
    query first reads only the rows of the last var('incremental_merge_days') days (BigQuery prunes to their
    partitions), and all rows only when those hold none: a max() is the same either way; a max(extracted_at)
    may come out older, which only re-reads more raw rows. -#}
{% macro incremental_values(exprs, recent_column=none, recent_type='date') -%}
  {%- if execute and is_incremental() -%}
    {%- set sql -%}
      select {% for e in exprs %}{{ cast_as(e, 'string') }}{{ ', ' if not loop.last }}{% endfor %} from {{ this }}
    {%- endset -%}
    {%- set row = none -%}
    {%- if recent_column -%}
      {%- set row = run_query(sql ~ ' where ' ~ recent_since(recent_column, recent_type)).rows[0] -%}
    {%- endif -%}
    {%- if row is none or row[0] is none -%}
      {%- set row = run_query(sql).rows[0] -%}
    {%- endif -%}
    {%- if row[0] is not none -%}
      {{- return(row) -}}
    {%- endif -%}
  {%- endif -%}
  {{- return(none) -}}
{%- endmacro %}

{#- `column >= ` the first day of the last var('incremental_merge_days') days: a constant BigQuery prunes with. -#}
{% macro recent_since(column, type_name='date') -%}
  {{ column }} >= {{ cast_as(add_days(cast_as(now_utc(), 'date'), -1 * var('incremental_merge_days')), type_name) }}
{%- endmacro %}

{#- A string constant of type_name (date or timestamp). -#}
{% macro incremental_literal(value, type_name) -%}
  {{ cast_as("'" ~ value ~ "'", type_name) }}
{%- endmacro %}

{#- A fact's window: {'since': the newest stored day of `this_column` (this_type: date or timestamp) -
    var('incremental_lookback_days'), 'newest': that day}, or none (see incremental_values). -#}
{% macro fact_window(this_column='date_day', this_type='date') -%}
  {%- set v = incremental_values([add_days('max(' ~ this_column ~ ')', -1 * var('incremental_lookback_days')),
                                  cast_as('max(' ~ this_column ~ ')', 'date')], this_column, this_type) -%}
  {{- return(none if v is none else {'since': v[0] | string, 'newest': v[1] | string}) -}}
{%- endmacro %}

{#- Row filter for incremental facts: on an incremental run keep only rows whose date (or timestamp, type_name)
    expression is within the window (late and provisional points get re-merged on the unique key) and that the
    merge may match (merge_guard); on a full build keep everything. `window`: fact_window(), read once per
    model when several filters share it. -#}
{% macro incremental_window(expr, this_column='date_day', type_name='date', window=none) -%}
  {%- set w = window if window is not none else fact_window(this_column) -%}
  {%- if w is none -%}
    1 = 1
  {%- else -%}
    {{ expr }} >= {{ incremental_literal(w.since, type_name) }} and {{ merge_guard(expr, w.newest, 'date', type_name) }}
  {%- endif -%}
{%- endmacro %}

{#- Staging: {'extracted': the newest extraction already staged, 'newest': the newest `data_column` (of
    data_type)}, or none. -#}
{% macro staging_window(data_column, data_type) -%}
  {%- set v = incremental_values(['max(extracted_at)', 'max(' ~ data_column ~ ')'], data_column, data_type) -%}
  {{- return(none if v is none else {'extracted': v[0] | string, 'newest': v[1] | string}) -}}
{%- endmacro %}

{#- Staging reads only the raw rows extracted since the newest extraction already staged (the raw tables are
    partitioned on _airbyte_extracted_at on BigQuery, so older days are not read). `>=`: rows of that very
    extraction time are read again, which the merge on the key makes harmless. -#}
{% macro extracted_since(window) -%}
  {%- if window is none -%}
    1 = 1
  {%- else -%}
    _airbyte_extracted_at >= {{ incremental_literal(window.extracted, 'timestamp') }}
  {%- endif -%}
{%- endmacro %}

{#- The merge's target-side filter on BigQuery (incremental_predicates, which dbt fixes when it parses the
    project, so it is relative to today, not to the data): only the partitions of the last
    var('incremental_merge_days') days are scanned for matches. Elsewhere none. -#}
{% macro merge_window_predicates(column, type_name='date') -%}
  {%- if target.type != 'bigquery' -%}
    {{- return([]) -}}
  {%- endif -%}
  {{- return([recent_since('DBT_INTERNAL_DEST.' ~ column, type_name) | trim]) -}}
{%- endmacro %}

{#- With merge_window_predicates a batch row older than their cutoff cannot match its stored row, so it would be
    inserted twice: such a row is merged only when it is newer than everything stored (`newest`, of this_type),
    so not stored yet. A stale table (no new data for incremental_merge_days) thus still takes all its new rows;
    only re-sent points older than the cutoff are not re-merged. The cutoff here is a day later than the
    predicate's, so a midnight between this query and the merge changes nothing. Only on BigQuery. -#}
{% macro merge_guard(expr, newest, this_type='date', type_name='date') -%}
  {%- if target.type != 'bigquery' or newest is none -%}
    1 = 1
  {%- else -%}
    ({{ cast_as(expr, this_type) }} > {{ incremental_literal(newest, this_type) }}
     or {{ expr }} >= {{ cast_as(add_days(cast_as(now_utc(), 'date'), 1 - var('incremental_merge_days')), type_name) }})
  {%- endif -%}
{%- endmacro %}
