{#- CoinGecko /global: total crypto market (USD) and BTC dominance in percent (0-100). -#}
with source as (
    select * from {{ source('bitcoin_raw', 'coingecko_global') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by updated_at
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('updated_at', 'timestamp') }} as snapshot_at,
    {{ cast_as('btc_dominance', 'float') }} as btc_dominance_pct,
    {{ cast_as('total_market_cap', 'float') }} as total_market_cap_usd,
    {{ cast_as('total_volume', 'float') }} as total_volume_24h_usd,
    {{ cast_as('active_cryptocurrencies', 'int') }} as active_cryptocurrencies,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and lower(coalesce(vs_currency, 'usd')) = 'usd'
