{#- Daily OHLCV per provider, then the preferred candle per UTC day (CoinMarketCap when it has the day,
    else CoinGecko) side by side with the other provider's close and the spread between them.
    - CoinMarketCap: its daily candles; days it has only hourly candles for (today) are rolled up from them.
    - CoinGecko: every price point of the day (hourly and daily granularity) rolled up: open = first point,
      close = last point, high/low = max/min. History days carry one 00:00 point, so O = H = L = C there.
      volume_usd is CoinGecko's rolling 24 h volume at the day's last point.
    Incremental: rebuilds the days of the trailing lookback window from the staging rows of those days. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='date_day',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('date_day', 'date')) }}
{% else %}
{{ config(materialized='incremental', unique_key='date_day') }}
{% endif %}
{%- set window = fact_window('date_day') %}
with coingecko_points as (
    select
        {{ cast_as('point_at', 'date') }} as date_day,
        point_at,
        price_usd,
        market_cap_usd,
        volume_24h_usd,
        row_number() over (partition by {{ cast_as('point_at', 'date') }} order by point_at, granularity) as rank_first,
        row_number() over (partition by {{ cast_as('point_at', 'date') }} order by point_at desc, granularity) as rank_last
    from {{ ref('stg_coingecko__market_chart') }}
    where price_usd is not null
      and {{ incremental_window('point_at', type_name='timestamp', window=window) }}
),

coingecko_daily as (
    select
        date_day,
        max(case when rank_first = 1 then price_usd end) as open_usd,
        max(price_usd) as high_usd,
        min(price_usd) as low_usd,
        max(case when rank_last = 1 then price_usd end) as close_usd,
        max(case when rank_last = 1 then volume_24h_usd end) as volume_usd,
        max(case when rank_last = 1 then market_cap_usd end) as market_cap_usd,
        count(*) as point_count
    from coingecko_points
    group by date_day
),

cmc_daily_candles as (
    select
        {{ cast_as('period_start_at', 'date') }} as date_day,
        open_usd, high_usd, low_usd, close_usd, volume_usd, market_cap_usd,
        1 as point_count
    from {{ ref('stg_cmc__ohlcv_historical') }}
    where granularity = 'day'
      and {{ incremental_window('period_start_at', type_name='timestamp', window=window) }}
),

cmc_hours as (
    select
        {{ cast_as('period_start_at', 'date') }} as date_day,
        open_usd, high_usd, low_usd, close_usd, volume_usd, market_cap_usd,
        row_number() over (partition by {{ cast_as('period_start_at', 'date') }} order by period_start_at) as rank_first,
        row_number() over (partition by {{ cast_as('period_start_at', 'date') }} order by period_start_at desc) as rank_last
    from {{ ref('stg_cmc__ohlcv_historical') }}
    where granularity = 'hour'
      and {{ incremental_window('period_start_at', type_name='timestamp', window=window) }}
),

cmc_daily_from_hours as (
    select
        date_day,
        max(case when rank_first = 1 then open_usd end) as open_usd,
        max(high_usd) as high_usd,
        min(low_usd) as low_usd,
        max(case when rank_last = 1 then close_usd end) as close_usd,
        sum(volume_usd) as volume_usd,
        max(case when rank_last = 1 then market_cap_usd end) as market_cap_usd,
        count(*) as point_count
    from cmc_hours
    where date_day not in (select date_day from cmc_daily_candles)
    group by date_day
),

cmc_daily as (
    select * from cmc_daily_candles
    union all
    select * from cmc_daily_from_hours
),

side_by_side as (
    select
        coalesce(cmc.date_day, cg.date_day) as date_day,
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
    from cmc_daily as cmc
    full outer join coingecko_daily as cg
        on cmc.date_day = cg.date_day
)

select
    'day' as granularity,
    {{ cast_as('date_day', 'timestamp') }} as period_start_at,
    date_day,
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
