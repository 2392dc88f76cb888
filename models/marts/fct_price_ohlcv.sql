{#- OHLCV candles of BTC in USD at three grains (hour, day, week), one row per (asset, granularity,
    period start), from the preferred provider of that period (see int_ohlcv_*). Day rows keep both
    providers' closes and their spread. Incremental: merges the trailing lookback window on price_ohlcv_key
    (each grain filtered on its own partition column, so BigQuery prunes the intermediate tables). -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='price_ohlcv_key',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          cluster_by=['granularity', 'asset_key'],
          incremental_predicates=merge_window_predicates('date_day')) }}
{% else %}
{{ config(materialized='incremental', unique_key='price_ohlcv_key') }}
{% endif %}
{%- set window = fact_window() %}
with candles as (
    select
        granularity, period_start_at, {{ cast_as('period_start_at', 'date') }} as date_day, source_id,
        open_usd, high_usd, low_usd, close_usd, volume_usd, market_cap_usd, point_count,
        cmc_close_usd, coingecko_close_usd, close_spread_pct
    from {{ ref('int_ohlcv_hourly') }}
    where {{ incremental_window('period_start_at', type_name='timestamp', window=window) }}
    union all
    select
        granularity, period_start_at, date_day, source_id,
        open_usd, high_usd, low_usd, close_usd, volume_usd, market_cap_usd, point_count,
        cmc_close_usd, coingecko_close_usd, close_spread_pct
    from {{ ref('int_ohlcv_daily') }}
    where {{ incremental_window('date_day', window=window) }}
    union all
    select
        granularity, period_start_at, date_day, source_id,
        open_usd, high_usd, low_usd, close_usd, volume_usd, market_cap_usd, point_count,
        {{ cast_as('null', 'float') }} as cmc_close_usd,
        {{ cast_as('null', 'float') }} as coingecko_close_usd,
        {{ cast_as('null', 'float') }} as close_spread_pct
    from {{ ref('int_ohlcv_weekly') }}
    where {{ incremental_window('date_day', window=window) }}
)

select
    {{ surrogate_key(['dim_asset.asset_key', 'candles.granularity', 'candles.period_start_at']) }} as price_ohlcv_key,
    dim_asset.asset_key,
    dim_source.source_key,
    candles.granularity,
    candles.period_start_at,
    candles.date_day,
    candles.open_usd,
    candles.high_usd,
    candles.low_usd,
    candles.close_usd,
    candles.volume_usd,
    candles.market_cap_usd,
    {{ cast_as('candles.point_count', 'int') }} as point_count,
    candles.cmc_close_usd,
    candles.coingecko_close_usd,
    candles.close_spread_pct
from candles
cross join {{ ref('dim_asset') }} as dim_asset
inner join {{ ref('dim_source') }} as dim_source
    on dim_source.source_id = candles.source_id
