{#- BTC trading pairs per exchange and provider, one row per (provider, market pair, UTC day) holding the
    day's latest observation: last price and 24 h volume in USD, volume in BTC, bid-ask spread (CoinGecko only),
    trust score. Tickers are full-refresh upstream; incremental merging keeps the daily history. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='exchange_ticker_key',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          cluster_by=['exchange_key'],
          incremental_predicates=merge_window_predicates('date_day')) }}
{% else %}
{{ config(materialized='incremental', unique_key='exchange_ticker_key') }}
{% endif %}

with tickers as (
    select
        'coingecko' as source_id,
        lower(trim(coalesce(exchange_name, exchange_id))) as exchange_name_key,
        base_symbol,
        quote_symbol,
        observed_at,
        last_price_usd,
        volume_24h_usd,
        volume_24h_btc,
        bid_ask_spread_pct,
        trust_score,
        is_anomaly,
        is_stale
    from {{ ref('stg_coingecko__tickers') }}
    union all
    select
        'coinmarketcap' as source_id,
        lower(trim(coalesce(exchange_name, exchange_slug))) as exchange_name_key,
        base_symbol,
        quote_symbol,
        observed_at,
        last_price_usd,
        volume_24h_usd,
        case when base_symbol = 'BTC' then volume_24h_base end as volume_24h_btc,
        {{ cast_as('null', 'float') }} as bid_ask_spread_pct,
        {{ cast_as('null', 'string') }} as trust_score,
        {{ cast_as('null', 'bool') }} as is_anomaly,
        {{ cast_as('null', 'bool') }} as is_stale
    from {{ ref('stg_cmc__market_pairs') }}
),

latest_of_day as (
    select
        *,
        {{ cast_as('observed_at', 'date') }} as date_day,
        row_number() over (
            partition by source_id, exchange_name_key, base_symbol, quote_symbol, {{ cast_as('observed_at', 'date') }}
            order by observed_at desc
        ) as rank_latest
    from tickers
    where base_symbol is not null and quote_symbol is not null
)

select
    {{ surrogate_key(['t.source_id', 't.exchange_name_key', 't.base_symbol', 't.quote_symbol', 't.date_day']) }} as exchange_ticker_key,
    {{ surrogate_key(['t.exchange_name_key', 't.base_symbol', 't.quote_symbol']) }} as market_pair_key,
    {{ surrogate_key(['t.exchange_name_key']) }} as exchange_key,
    dim_source.source_key,
    t.date_day,
    t.observed_at,
    t.base_symbol,
    t.quote_symbol,
    t.last_price_usd,
    t.volume_24h_usd,
    t.volume_24h_btc,
    t.bid_ask_spread_pct,
    t.trust_score,
    t.is_anomaly,
    t.is_stale
from latest_of_day as t
inner join {{ ref('dim_source') }} as dim_source
    on dim_source.source_id = t.source_id
where t.rank_latest = 1
  and {{ incremental_window('t.date_day') }}
