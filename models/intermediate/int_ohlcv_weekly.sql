{#- Weekly OHLCV (ISO weeks, Monday 00:00 UTC) rolled up from the preferred daily candles:
    open = first day's open, close = last day's close, high/low = max/min, volume = sum of daily volumes.
    source_id is the provider of the week's closing day.
    Incremental: rebuilds the weeks starting in the trailing lookback window from their days. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='date_day',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('date_day', 'date')) }}
{% else %}
{{ config(materialized='incremental', unique_key='date_day') }}
{% endif %}
{%- set window = fact_window('date_day') %}
with daily as (
    select
        {{ trunc_date('week', 'date_day') }} as week_start_date,
        date_day,
        source_id,
        open_usd, high_usd, low_usd, close_usd, volume_usd, market_cap_usd,
        row_number() over (partition by {{ trunc_date('week', 'date_day') }} order by date_day) as rank_first,
        row_number() over (partition by {{ trunc_date('week', 'date_day') }} order by date_day desc) as rank_last
    from {{ ref('int_ohlcv_daily') }}
    where {{ incremental_window('date_day', window=window) }}
)

select
    'week' as granularity,
    {{ cast_as('week_start_date', 'timestamp') }} as period_start_at,
    week_start_date as date_day,
    max(case when rank_last = 1 then source_id end) as source_id,
    max(case when rank_first = 1 then open_usd end) as open_usd,
    max(high_usd) as high_usd,
    min(low_usd) as low_usd,
    max(case when rank_last = 1 then close_usd end) as close_usd,
    sum(volume_usd) as volume_usd,
    max(case when rank_last = 1 then market_cap_usd end) as market_cap_usd,
    count(*) as point_count
from daily
-- A week that starts before the window has days outside it: it is not rebuilt.
where {{ incremental_window('week_start_date', window=window) }}
group by week_start_date
