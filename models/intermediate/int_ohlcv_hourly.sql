{#- Hourly OHLCV per provider, then the preferred candle per hour (CoinMarketCap when it has the hour,
    else CoinGecko) with the other provider's close and the spread between them.
    CoinGecko hourly candles are built from its hourly price points (open = first point of the hour,
    close = last, high/low = max/min); CoinGecko has no hourly volume, so volume_usd is NULL there.
    Incremental: rebuilds the hours of the trailing lookback window from the staging rows of those hours. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='period_start_at',
          partition_by={'field': 'period_start_at', 'data_type': 'timestamp', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('period_start_at', 'timestamp')) }}
{% else %}
{{ config(materialized='incremental', unique_key='period_start_at') }}
{% endif %}
{%- set window = fact_window('period_start_at', 'timestamp') %}
with coingecko_points as (
    select
        {{ trunc_ts('hour', 'point_at') }} as period_start_at,
        point_at,
        price_usd,
        market_cap_usd,
        row_number() over (partition by {{ trunc_ts('hour', 'point_at') }} order by point_at) as rank_first,
        row_number() over (partition by {{ trunc_ts('hour', 'point_at') }} order by point_at desc) as rank_last
    from {{ ref('stg_coingecko__market_chart') }}
    where granularity = 'hourly' and price_usd is not null
      and {{ incremental_window('point_at', 'period_start_at', 'timestamp', window) }}
),

coingecko_hourly as (
    select
        'coingecko' as source_id,
        period_start_at,
        max(case when rank_first = 1 then price_usd end) as open_usd,
        max(price_usd) as high_usd,
        min(price_usd) as low_usd,
        max(case when rank_last = 1 then price_usd end) as close_usd,
        {{ cast_as('null', 'float') }} as volume_usd,
        max(case when rank_last = 1 then market_cap_usd end) as market_cap_usd,
        count(*) as point_count
    from coingecko_points
    group by period_start_at
),

cmc_hourly as (
    select
        'coinmarketcap' as source_id,
        period_start_at,
        open_usd,
        high_usd,
        low_usd,
        close_usd,
        volume_usd,
        market_cap_usd,
        1 as point_count
    from {{ ref('stg_cmc__ohlcv_historical') }}
    where granularity = 'hour'
      and {{ incremental_window('period_start_at', 'period_start_at', 'timestamp', window) }}
),

side_by_side as (
    select
        coalesce(cmc.period_start_at, cg.period_start_at) as period_start_at,
        case when cmc.close_usd is not null then 'coinmarketcap' else 'coingecko' end as source_id,
        coalesce(cmc.open_usd, cg.open_usd) as open_usd,
        coalesce(cmc.high_usd, cg.high_usd) as high_usd,
        coalesce(cmc.low_usd, cg.low_usd) as low_usd,
        coalesce(cmc.close_usd, cg.close_usd) as close_usd,
        coalesce(cmc.volume_usd, cg.volume_usd) as volume_usd,
        coalesce(cmc.market_cap_usd, cg.market_cap_usd) as market_cap_usd,
        coalesce(cmc.point_count, cg.point_count) as point_count,
        cmc.close_usd as cmc_close_usd,
        cg.close_usd as coingecko_close_usd
    from cmc_hourly as cmc
    full outer join coingecko_hourly as cg
        on cmc.period_start_at = cg.period_start_at
)

select
    'hour' as granularity,
    period_start_at,
    source_id,
    open_usd,
    high_usd,
    low_usd,
    close_usd,
    volume_usd,
    market_cap_usd,
    point_count,
    cmc_close_usd,
    coingecko_close_usd,
    {{ pct_change('cmc_close_usd', 'coingecko_close_usd') }} as close_spread_pct
from side_by_side
