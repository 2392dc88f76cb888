{#- Exchanges that list BTC, from CoinGecko tickers and CoinMarketCap market pairs. Providers use different
    ids (coinbase vs coinbase-exchange), so an exchange is identified by its normalised display name. -#}
with coingecko as (
    select
        lower(trim(coalesce(exchange_name, exchange_id))) as exchange_name_key,
        max(coalesce(exchange_name, exchange_id)) as exchange_name,
        max(exchange_id) as coingecko_exchange_id,
        {{ cast_as('null', 'int') }} as cmc_exchange_id,
        {{ cast_as('null', 'string') }} as cmc_exchange_slug
    from {{ ref('stg_coingecko__tickers') }}
    group by lower(trim(coalesce(exchange_name, exchange_id)))
),

cmc as (
    select
        lower(trim(coalesce(exchange_name, exchange_slug))) as exchange_name_key,
        max(coalesce(exchange_name, exchange_slug)) as exchange_name,
        {{ cast_as('null', 'string') }} as coingecko_exchange_id,
        max(cmc_exchange_id) as cmc_exchange_id,
        max(exchange_slug) as cmc_exchange_slug
    from {{ ref('stg_cmc__market_pairs') }}
    group by lower(trim(coalesce(exchange_name, exchange_slug)))
),

unioned as (
    select * from coingecko
    union all
    select * from cmc
)

select
    {{ surrogate_key(['exchange_name_key']) }} as exchange_key,
    exchange_name_key,
    max(exchange_name) as exchange_name,
    max(coingecko_exchange_id) as coingecko_exchange_id,
    max(cmc_exchange_id) as cmc_exchange_id,
    max(cmc_exchange_slug) as cmc_exchange_slug
from unioned
group by exchange_name_key
