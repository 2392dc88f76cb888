{#- CoinMarketCap latest quote of BTC in USD, one row per (cmc id, last_updated).
    ASSUMED raw columns (schemas/cmc_quotes_latest.json does not exist yet; quote.USD.* flattened):
      id integer, symbol string, name string, slug string, vs_currency string ('USD'),
      price number, volume_24h number, volume_change_24h number,
      percent_change_1h/_24h/_7d/_30d/_60d/_90d number, market_cap number, fully_diluted_market_cap number,
      market_cap_dominance number (percent), circulating_supply number, total_supply number,
      max_supply number|null, cmc_rank integer, num_market_pairs integer, last_updated date-time. -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'cmc_quotes_latest', [
        ('id', 'int'), ('symbol', 'string'), ('name', 'string'), ('slug', 'string'),
        ('vs_currency', 'string'), ('price', 'float'), ('volume_24h', 'float'),
        ('volume_change_24h', 'float'), ('percent_change_1h', 'float'),
        ('percent_change_24h', 'float'), ('percent_change_7d', 'float'),
        ('percent_change_30d', 'float'), ('percent_change_60d', 'float'),
        ('percent_change_90d', 'float'), ('market_cap', 'float'),
        ('fully_diluted_market_cap', 'float'), ('market_cap_dominance', 'float'),
        ('circulating_supply', 'float'), ('total_supply', 'float'), ('max_supply', 'float'),
        ('cmc_rank', 'int'), ('num_market_pairs', 'int'), ('last_updated', 'timestamp')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by id, last_updated
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('id', 'int') }} as cmc_id,
    {{ cast_as('last_updated', 'timestamp') }} as snapshot_at,
    upper({{ cast_as('symbol', 'string') }}) as asset_symbol,
    {{ cast_as('name', 'string') }} as asset_name,
    {{ cast_as('slug', 'string') }} as slug,
    {{ cast_as('price', 'float') }} as price_usd,
    {{ cast_as('volume_24h', 'float') }} as volume_24h_usd,
    {{ cast_as('percent_change_1h', 'float') }} as price_change_pct_1h,
    {{ cast_as('percent_change_24h', 'float') }} as price_change_pct_24h,
    {{ cast_as('percent_change_7d', 'float') }} as price_change_pct_7d,
    {{ cast_as('percent_change_30d', 'float') }} as price_change_pct_30d,
    {{ cast_as('market_cap', 'float') }} as market_cap_usd,
    {{ cast_as('fully_diluted_market_cap', 'float') }} as fully_diluted_market_cap_usd,
    {{ cast_as('market_cap_dominance', 'float') }} as market_cap_dominance_pct,
    {{ cast_as('circulating_supply', 'float') }} as circulating_supply_btc,
    {{ cast_as('total_supply', 'float') }} as total_supply_btc,
    {{ cast_as('max_supply', 'float') }} as max_supply_btc,
    {{ cast_as('cmc_rank', 'int') }} as cmc_rank,
    {{ cast_as('num_market_pairs', 'int') }} as num_market_pairs,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and upper(coalesce(vs_currency, 'USD')) = 'USD'
