{#- CoinGecko tickers: one row per (exchange, base, target), prices and volumes in USD and BTC.
    Full-refresh stream; if a re-read is appended, the latest extraction wins. -#}
with source as (
    select * from {{ source('bitcoin_raw', 'coingecko_tickers') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by exchange_id, base, target
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    lower({{ cast_as('exchange_id', 'string') }}) as exchange_id,
    {{ cast_as('exchange_name', 'string') }} as exchange_name,
    upper({{ cast_as('base', 'string') }}) as base_symbol,
    upper({{ cast_as('target', 'string') }}) as quote_symbol,
    {{ cast_as('coin_id', 'string') }} as coingecko_coin_id,
    {{ cast_as('trust_score', 'string') }} as trust_score,
    {{ cast_as('trade_url', 'string') }} as trade_url,
    {{ cast_as('last', 'float') }} as last_price_quote,
    {{ cast_as('volume', 'float') }} as volume_24h_base,
    {{ cast_as('converted_last_usd', 'float') }} as last_price_usd,
    {{ cast_as('converted_volume_usd', 'float') }} as volume_24h_usd,
    {{ cast_as('converted_volume_btc', 'float') }} as volume_24h_btc,
    {{ cast_as('bid_ask_spread_percentage', 'float') }} as bid_ask_spread_pct,
    {{ cast_as('cost_to_move_up_usd', 'float') }} as cost_to_move_up_2pct_usd,
    {{ cast_as('cost_to_move_down_usd', 'float') }} as cost_to_move_down_2pct_usd,
    {{ cast_as('is_anomaly', 'bool') }} as is_anomaly,
    {{ cast_as('is_stale', 'bool') }} as is_stale,
    {{ cast_as(q('timestamp'), 'timestamp') }} as ticker_at,
    {{ cast_as('last_traded_at', 'timestamp') }} as last_traded_at,
    coalesce(
        {{ cast_as('last_fetch_at', 'timestamp') }},
        {{ cast_as(q('timestamp'), 'timestamp') }},
        {{ cast_as('_airbyte_extracted_at', 'timestamp') }}
    ) as observed_at,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
