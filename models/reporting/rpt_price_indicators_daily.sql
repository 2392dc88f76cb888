{#- Daily technical indicators of BTC over the preferred daily closes (fct_price_ohlcv, granularity 'day'):
    SMA 7/30/50/200; EMA 12/26 (seeded with the SMA of their first 12/26 closes); MACD = EMA12 - EMA26 with its
    9-day EMA signal and histogram; RSI-14 with Wilder's smoothing (average gain/loss seeded with the mean of the
    first 14 changes, then avg = (13 * previous + current) / 14); daily/7 d/30 d returns by calendar day.
    Indicators are NULL until enough history exists. Rows are consecutive daily closes. -#}
with daily as (
    select
        prices.date_day,
        prices.close_usd,
        prices.volume_usd,
        prices.market_cap_usd,
        row_number() over (order by prices.date_day) as idx
    from {{ ref('fct_price_ohlcv') }} as prices
    inner join {{ ref('dim_asset') }} as dim_asset
        on dim_asset.asset_key = prices.asset_key
    where prices.granularity = 'day'
      and dim_asset.asset_symbol = '{{ var("asset_symbol") }}'
),

closes as (
    select idx, close_usd as x from daily
),

ema_12 as (
    {{ exponential_average('closes', '2.0 / 13', 12) }}
),

ema_26 as (
    {{ exponential_average('closes', '2.0 / 27', 26) }}
),

macd_series as (
    select ema_26.idx, ema_12.value - ema_26.value as x
    from ema_26
    inner join ema_12 on ema_12.idx = ema_26.idx
),

macd_signal as (
    {{ exponential_average('macd_series', '2.0 / 10', 9) }}
),

changes as (
    select idx, close_usd - lag(close_usd) over (order by idx) as change_usd
    from daily
),

gains as (
    select idx, greatest(change_usd, 0) as x from changes where idx > 1
),

losses as (
    select idx, greatest(-change_usd, 0) as x from changes where idx > 1
),

avg_gain as (
    {{ exponential_average('gains', '1.0 / 14', 14) }}
),

avg_loss as (
    {{ exponential_average('losses', '1.0 / 14', 14) }}
),

indicators as (
    select
        daily.date_day,
        daily.idx,
        daily.close_usd,
        daily.volume_usd,
        daily.market_cap_usd,
        changes.change_usd,
        {{ simple_moving_average('daily.close_usd', 7, 'daily.idx') }} as sma_7_usd,
        {{ simple_moving_average('daily.close_usd', 30, 'daily.idx') }} as sma_30_usd,
        {{ simple_moving_average('daily.close_usd', 50, 'daily.idx') }} as sma_50_usd,
        {{ simple_moving_average('daily.close_usd', 200, 'daily.idx') }} as sma_200_usd,
        ema_12.value as ema_12_usd,
        ema_26.value as ema_26_usd,
        macd_series.x as macd_usd,
        macd_signal.value as macd_signal_usd,
        macd_series.x - macd_signal.value as macd_histogram_usd,
        avg_gain.value as rsi_avg_gain_usd,
        avg_loss.value as rsi_avg_loss_usd
    from daily
    left join changes on changes.idx = daily.idx
    left join ema_12 on ema_12.idx = daily.idx
    left join ema_26 on ema_26.idx = daily.idx
    left join macd_series on macd_series.idx = daily.idx
    left join macd_signal on macd_signal.idx = daily.idx
    left join avg_gain on avg_gain.idx = daily.idx
    left join avg_loss on avg_loss.idx = daily.idx
)

select
    indicators.date_day,
    indicators.close_usd,
    indicators.volume_usd,
    indicators.market_cap_usd,
    indicators.change_usd as close_change_usd,
    {{ pct_change('indicators.close_usd', 'prev_1d.close_usd') }} as return_1d_pct,
    {{ pct_change('indicators.close_usd', 'prev_7d.close_usd') }} as return_7d_pct,
    {{ pct_change('indicators.close_usd', 'prev_30d.close_usd') }} as return_30d_pct,
    {{ pct_change('indicators.market_cap_usd', 'prev_1d.market_cap_usd') }} as market_cap_change_1d_pct,
    indicators.sma_7_usd,
    indicators.sma_30_usd,
    indicators.sma_50_usd,
    indicators.sma_200_usd,
    indicators.ema_12_usd,
    indicators.ema_26_usd,
    indicators.macd_usd,
    indicators.macd_signal_usd,
    indicators.macd_histogram_usd,
    case
        when indicators.rsi_avg_loss_usd is null then null
        when indicators.rsi_avg_loss_usd = 0 and indicators.rsi_avg_gain_usd = 0 then 50
        when indicators.rsi_avg_loss_usd = 0 then 100
        else 100 - 100 / (1 + indicators.rsi_avg_gain_usd / indicators.rsi_avg_loss_usd)
    end as rsi_14,
    indicators.rsi_avg_gain_usd,
    indicators.rsi_avg_loss_usd
from indicators
left join daily as prev_1d on prev_1d.date_day = {{ add_days('indicators.date_day', -1) }}
left join daily as prev_7d on prev_7d.date_day = {{ add_days('indicators.date_day', -7) }}
left join daily as prev_30d on prev_30d.date_day = {{ add_days('indicators.date_day', -30) }}
