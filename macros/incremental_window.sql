{#- Row filter for incremental facts: on an incremental run keep only rows whose date expression is within
    var('incremental_lookback_days') of the newest `this_column` (a date column) already in the table (late and provisional points
    get re-merged on the unique key); on a full build keep everything. -#}
{% macro incremental_window(date_expr, this_column='date_day') -%}
  {%- if is_incremental() -%}
    {{ date_expr }} >= (
        select {{ add_days('max(' ~ this_column ~ ')', -1 * var('incremental_lookback_days')) }} from {{ this }}
    )
  {%- else -%}
    1 = 1
  {%- endif -%}
{%- endmacro %}
