{#- CoinMarketCap OHLCV candles (USD), hourly and daily, one row per (cmc id, time_period, time_open).
    ASSUMED raw columns (schemas/cmc_ohlcv_historical.json does not exist yet; quote.USD.* flattened):
      id integer, symbol string, vs_currency string ('USD'), time_period string ('hourly'|'daily'),
      time_open date-time, time_close date-time, time_high date-time, time_low date-time,
      open number, high number, low number, close number, volume number, market_cap number,
      timestamp date-time (quote time = period close).
    Incremental: merges the raw rows extracted since the last build on the key (macros/incremental_window.sql). -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key=['cmc_id', 'granularity', 'period_start_at'],
          partition_by={'field': 'period_start_at', 'data_type': 'timestamp', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('period_start_at', 'timestamp')) }}
{% else %}
{{ config(materialized='incremental', unique_key=['cmc_id', 'granularity', 'period_start_at']) }}
{% endif %}
{%- set window = staging_window('period_start_at', 'timestamp') %}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'cmc_ohlcv_historical', [
        ('id', 'int'), ('symbol', 'string'), ('vs_currency', 'string'), ('time_period', 'string'),
        ('time_open', 'timestamp'), ('time_close', 'timestamp'), ('time_high', 'timestamp'),
        ('time_low', 'timestamp'), ('open', 'float'), ('high', 'float'), ('low', 'float'),
        ('close', 'float'), ('volume', 'float'), ('market_cap', 'float'), ('timestamp', 'timestamp')
    ]) }}
    where {{ extracted_since(window) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by id, time_period, time_open
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('id', 'int') }} as cmc_id,
    case lower({{ cast_as('time_period', 'string') }})
        when 'hourly' then 'hour'
        when 'daily' then 'day'
        else lower({{ cast_as('time_period', 'string') }})
    end as granularity,
    {{ cast_as('time_open', 'timestamp') }} as period_start_at,
    {{ cast_as('time_close', 'timestamp') }} as period_end_at,
    {{ cast_as('open', 'float') }} as open_usd,
    {{ cast_as('high', 'float') }} as high_usd,
    {{ cast_as('low', 'float') }} as low_usd,
    {{ cast_as('close', 'float') }} as close_usd,
    {{ cast_as('volume', 'float') }} as volume_usd,
    {{ cast_as('market_cap', 'float') }} as market_cap_usd,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and upper(coalesce(vs_currency, 'USD')) = 'USD'
  and {{ merge_guard(cast_as('time_open', 'timestamp'), none if window is none else window.newest, 'timestamp', 'timestamp') }}
