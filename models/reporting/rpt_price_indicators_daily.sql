{#- Daily technical indicators of BTC over the preferred daily closes (fct_price_ohlcv, granularity 'day'):
    SMA 7/30/50/200; EMA 12/26 (seeded with the SMA of their first 12/26 closes); MACD = EMA12 - EMA26 with its
    9-day EMA signal and histogram; RSI-14 with Wilder's smoothing (average gain/loss seeded with the mean of the
    first 14 changes, then avg = (13 * previous + current) / 14); daily/7 d/30 d returns by calendar day.
    Indicators are NULL until enough history exists. Rows are consecutive daily closes; day_number counts them.
    Incremental (O(new days), not O(history)): the last stored row older than var('incremental_lookback_days')
    is the anchor; its EMA/MACD-signal/Wilder values are the recursion's state, continued over the closes after
    it (re-merged on date_day), with the 200 stored closes before it as context for SMA-200 and returns. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='date_day',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('date_day')) }}
{% else %}
{{ config(materialized='incremental', unique_key='date_day') }}
{% endif %}
{%- set context_rows = 200 %}
{#- The anchor day (a constant, so BigQuery prunes with it) and the newest stored day, on an incremental run. -#}
{%- set state = none %}
{%- if execute and is_incremental() %}
  {%- set stored_sql %}
    select
        {{ cast_as('max(case when macd_signal_usd is not null and rsi_avg_loss_usd is not null and date_day <= newest.since then date_day end)', 'string') }},
        {{ cast_as('max(newest.day)', 'string') }}
    from {{ this }}
    cross join (
        select max(date_day) as day, {{ add_days('max(date_day)', -1 * var('incremental_lookback_days')) }} as since from {{ this }}
    ) as newest
  {%- endset %}
  {%- set row = run_query(stored_sql).rows[0] %}
  {%- if row[0] is not none %}{% set state = {'anchor': row[0] | string, 'newest': row[1] | string} %}{% endif %}
{%- endif %}
with
{%- if state is not none %}
anchor as (
    select day_number as idx, date_day, ema_12_usd, ema_26_usd, macd_signal_usd, rsi_avg_gain_usd, rsi_avg_loss_usd
    from {{ this }}
    where date_day = {{ incremental_literal(state.anchor, 'date') }}
),
{%- else %}
-- A full build (or a table without an anchor yet) has no stored state: the averages start from their seeds.
anchor as (
    select *
    from (
        select
            {{ cast_as('null', 'int') }} as idx, {{ cast_as('null', 'date') }} as date_day,
            {{ cast_as('null', 'float') }} as ema_12_usd, {{ cast_as('null', 'float') }} as ema_26_usd,
            {{ cast_as('null', 'float') }} as macd_signal_usd, {{ cast_as('null', 'float') }} as rsi_avg_gain_usd,
            {{ cast_as('null', 'float') }} as rsi_avg_loss_usd
    ) as no_state
    where 1 = 0
),
{%- endif %}

-- One row whatever exists: the anchor's index and day (NULL on a full build).
anchor_point as (
    select max(idx) as idx, max(date_day) as date_day from anchor
),

new_closes as (
    select
        prices.date_day,
        prices.close_usd,
        prices.volume_usd,
        prices.market_cap_usd
    from {{ ref('fct_price_ohlcv') }} as prices
    inner join {{ ref('dim_asset') }} as dim_asset
        on dim_asset.asset_key = prices.asset_key
    where prices.granularity = 'day'
      and dim_asset.asset_symbol = '{{ var("asset_symbol") }}'
      {%- if state is not none %}
      and prices.date_day > {{ incremental_literal(state.anchor, 'date') }}
      {%- endif %}
),

daily as (
    {%- if state is not none %}
    select date_day, close_usd, volume_usd, market_cap_usd, idx
    from (
        select
            stored.date_day, stored.close_usd, stored.volume_usd, stored.market_cap_usd, stored.day_number as idx,
            row_number() over (order by stored.date_day desc) as rank_back
        from {{ this }} as stored
        where stored.date_day <= {{ incremental_literal(state.anchor, 'date') }}
          and stored.date_day > {{ add_days(incremental_literal(state.anchor, 'date'), -2 * context_rows) }}
    ) as context
    where rank_back <= {{ context_rows }}
    union all
    {%- endif %}
    select
        new_closes.date_day,
        new_closes.close_usd,
        new_closes.volume_usd,
        new_closes.market_cap_usd,
        coalesce(anchor_point.idx, 0) + row_number() over (order by new_closes.date_day) as idx
    from new_closes
    cross join anchor_point
),

closes as (
    select idx, close_usd as x from daily
),

ema_12_state as (
    select idx as seed_idx, ema_12_usd as seed_value from anchor
),

ema_26_state as (
    select idx as seed_idx, ema_26_usd as seed_value from anchor
),

macd_signal_state as (
    select idx as seed_idx, macd_signal_usd as seed_value from anchor
),

avg_gain_state as (
    select idx as seed_idx, rsi_avg_gain_usd as seed_value from anchor
),

avg_loss_state as (
    select idx as seed_idx, rsi_avg_loss_usd as seed_value from anchor
),

ema_12 as (
    {{ exponential_average('closes', '2.0 / 13', 12, 'ema_12_state') }}
),

ema_26 as (
    {{ exponential_average('closes', '2.0 / 27', 26, 'ema_26_state') }}
),

macd_series as (
    select ema_26.idx, ema_12.value - ema_26.value as x
    from ema_26
    inner join ema_12 on ema_12.idx = ema_26.idx
),

macd_signal as (
    {{ exponential_average('macd_series', '2.0 / 10', 9, 'macd_signal_state') }}
),

changes as (
    select idx, close_usd - lag(close_usd) over (order by idx) as change_usd
    from daily
),

gains as (
    select idx, greatest(change_usd, 0) as x from changes where change_usd is not null
),

losses as (
    select idx, greatest(-change_usd, 0) as x from changes where change_usd is not null
),

avg_gain as (
    {{ exponential_average('gains', '1.0 / 14', 14, 'avg_gain_state') }}
),

avg_loss as (
    {{ exponential_average('losses', '1.0 / 14', 14, 'avg_loss_state') }}
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
    indicators.idx as day_number,
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
cross join anchor_point
where (anchor_point.idx is null or indicators.idx > anchor_point.idx)
  and {{ merge_guard('indicators.date_day', none if state is none else state.newest) }}
