{#- CoinGecko OHLC candles (no volume). candle_close_at is the candle's close time; the candle length
    depends on the requested range (30 min, 4 h or 4 days), so it is kept as a cross-check only. -#}
with source as (
    select * from {{ source('bitcoin_raw', 'coingecko_ohlc') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by {{ q('timestamp') }}
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('coin_id', 'string') }} as coingecko_coin_id,
    {{ cast_as(q('timestamp'), 'timestamp') }} as candle_close_at,
    {{ cast_as('open', 'float') }} as open_usd,
    {{ cast_as('high', 'float') }} as high_usd,
    {{ cast_as('low', 'float') }} as low_usd,
    {{ cast_as('close', 'float') }} as close_usd,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and lower(coalesce(vs_currency, 'usd')) = 'usd'
