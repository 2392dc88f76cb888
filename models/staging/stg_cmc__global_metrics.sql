{#- CoinMarketCap global metrics: BTC dominance (percent) and the total market (USD), one row per last_updated.
    ASSUMED raw columns (schemas/cmc_global_metrics.json does not exist yet; quote.USD.* flattened):
      last_updated date-time, btc_dominance number, eth_dominance number, active_cryptocurrencies integer,
      active_exchanges integer, total_market_cap number, total_volume_24h number, vs_currency string ('USD'). -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'cmc_global_metrics', [
        ('last_updated', 'timestamp'), ('btc_dominance', 'float'), ('eth_dominance', 'float'),
        ('active_cryptocurrencies', 'int'), ('active_exchanges', 'int'), ('total_market_cap', 'float'),
        ('total_volume_24h', 'float'), ('vs_currency', 'string')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by last_updated
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('last_updated', 'timestamp') }} as snapshot_at,
    {{ cast_as('btc_dominance', 'float') }} as btc_dominance_pct,
    {{ cast_as('total_market_cap', 'float') }} as total_market_cap_usd,
    {{ cast_as('total_volume_24h', 'float') }} as total_volume_24h_usd,
    {{ cast_as('active_cryptocurrencies', 'int') }} as active_cryptocurrencies,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and upper(coalesce(vs_currency, 'USD')) = 'USD'
