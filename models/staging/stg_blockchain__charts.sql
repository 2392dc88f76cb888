{#- blockchain.com daily charts in long format, one row per (chart, day). Units made explicit:
    hash-rate TH/s -> EH/s (/ 1e6); output-volume is BTC; estimated-transaction-volume-usd is USD.
    Incremental: merges the raw rows extracted since the last build on the key (macros/incremental_window.sql). -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key=['chart_name', 'observed_date'],
          partition_by={'field': 'observed_date', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('observed_date', 'date')) }}
{% else %}
{{ config(materialized='incremental', unique_key=['chart_name', 'observed_date']) }}
{% endif %}
{%- set window = staging_window('observed_date', 'date') %}
with source as (
    select * from {{ source('bitcoin_raw', 'blockchain_charts') }}
    where {{ extracted_since(window) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by chart, {{ q('timestamp') }}
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
),

typed as (
    select
        {{ cast_as('chart', 'string') }} as chart_name,
        {{ cast_as(cast_as(q('timestamp'), 'timestamp'), 'date') }} as observed_date,
        {{ cast_as('value', 'float') }} as raw_value,
        {{ cast_as('unit', 'string') }} as raw_unit,
        {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
    from ranked
    where dedup_rank = 1
    and {{ merge_guard(cast_as(cast_as(q('timestamp'), 'timestamp'), 'date'), none if window is none else window.newest, 'date', 'date') }}
)

select
    chart_name,
    replace(chart_name, '-', '_') as metric_name,
    observed_date,
    case when chart_name = 'hash-rate' then raw_value / 1e6 else raw_value end as metric_value,
    case chart_name
        when 'hash-rate' then 'EH/s'
        when 'n-transactions' then 'transactions/day'
        when 'n-unique-addresses' then 'addresses/day'
        when 'estimated-transaction-volume-usd' then 'USD/day'
        when 'output-volume' then 'BTC/day'
        when 'difficulty' then 'difficulty'
        else raw_unit
    end as metric_unit,
    raw_value,
    raw_unit,
    extracted_at
from typed
