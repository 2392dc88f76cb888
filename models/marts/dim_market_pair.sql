{#- Trading pairs (exchange, base, quote) from both providers, e.g. Binance BTC/USDT. -#}
with pairs as (
    select
        lower(trim(coalesce(exchange_name, exchange_id))) as exchange_name_key,
        base_symbol,
        quote_symbol
    from {{ ref('stg_coingecko__tickers') }}
    union all
    select
        lower(trim(coalesce(exchange_name, exchange_slug))) as exchange_name_key,
        base_symbol,
        quote_symbol
    from {{ ref('stg_cmc__market_pairs') }}
),

distinct_pairs as (
    select distinct exchange_name_key, base_symbol, quote_symbol
    from pairs
    where base_symbol is not null and quote_symbol is not null
)

select
    {{ surrogate_key(['exchange_name_key', 'base_symbol', 'quote_symbol']) }} as market_pair_key,
    {{ surrogate_key(['exchange_name_key']) }} as exchange_key,
    base_symbol,
    quote_symbol,
    base_symbol || '/' || quote_symbol as pair_name
from distinct_pairs
