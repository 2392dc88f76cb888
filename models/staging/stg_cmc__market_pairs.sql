{#- CoinMarketCap market pairs trading BTC, one row per market_id (latest extraction wins).
    ASSUMED raw columns (schemas/cmc_market_pairs.json does not exist yet; nested objects flattened):
      market_id integer, market_pair string ('BTC/USD'), category string, fee_type string,
      exchange_id integer, exchange_name string, exchange_slug string,
      market_pair_base_currency_symbol string, market_pair_quote_currency_symbol string,
      price number (quote.USD.price), volume_24h number (quote.USD.volume_24h),
      price_quote number (quote.exchange_reported.price), volume_24h_base number, last_updated date-time. -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'cmc_market_pairs', [
        ('market_id', 'int'), ('market_pair', 'string'), ('category', 'string'),
        ('fee_type', 'string'), ('exchange_id', 'int'), ('exchange_name', 'string'),
        ('exchange_slug', 'string'), ('market_pair_base_currency_symbol', 'string'),
        ('market_pair_quote_currency_symbol', 'string'), ('price', 'float'), ('volume_24h', 'float'),
        ('price_quote', 'float'), ('volume_24h_base', 'float'), ('last_updated', 'timestamp')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by market_id
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('market_id', 'int') }} as cmc_market_id,
    {{ cast_as('market_pair', 'string') }} as market_pair,
    {{ cast_as('category', 'string') }} as category,
    {{ cast_as('exchange_id', 'int') }} as cmc_exchange_id,
    {{ cast_as('exchange_name', 'string') }} as exchange_name,
    lower({{ cast_as('exchange_slug', 'string') }}) as exchange_slug,
    upper({{ cast_as('market_pair_base_currency_symbol', 'string') }}) as base_symbol,
    upper({{ cast_as('market_pair_quote_currency_symbol', 'string') }}) as quote_symbol,
    {{ cast_as('price', 'float') }} as last_price_usd,
    {{ cast_as('volume_24h', 'float') }} as volume_24h_usd,
    {{ cast_as('price_quote', 'float') }} as last_price_quote,
    {{ cast_as('volume_24h_base', 'float') }} as volume_24h_base,
    coalesce(
        {{ cast_as('last_updated', 'timestamp') }},
        {{ cast_as('_airbyte_extracted_at', 'timestamp') }}
    ) as observed_at,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
