{#- CoinMarketCap historical quotes (USD), one row per (cmc id, quoted_at).
    ASSUMED raw columns (schemas/cmc_quotes_historical.json does not exist yet; quote.USD.* flattened):
      id integer, symbol string, vs_currency string ('USD'), timestamp date-time, price number,
      volume_24h number, market_cap number, circulating_supply number, total_supply number. -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'cmc_quotes_historical', [
        ('id', 'int'), ('symbol', 'string'), ('vs_currency', 'string'), ('timestamp', 'timestamp'),
        ('price', 'float'), ('volume_24h', 'float'), ('market_cap', 'float'),
        ('circulating_supply', 'float'), ('total_supply', 'float')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by id, {{ q('timestamp') }}
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('id', 'int') }} as cmc_id,
    {{ cast_as(q('timestamp'), 'timestamp') }} as quoted_at,
    {{ cast_as('price', 'float') }} as price_usd,
    {{ cast_as('volume_24h', 'float') }} as volume_24h_usd,
    {{ cast_as('market_cap', 'float') }} as market_cap_usd,
    {{ cast_as('circulating_supply', 'float') }} as circulating_supply_btc,
    {{ cast_as('total_supply', 'float') }} as total_supply_btc,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and upper(coalesce(vs_currency, 'USD')) = 'USD'
