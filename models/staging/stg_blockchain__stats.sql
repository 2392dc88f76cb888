{#- blockchain.com /stats snapshots. Units made explicit: satoshi fields -> BTC (/ 1e8),
    hash_rate GH/s -> EH/s (/ 1e9). One row per snapshot time; the latest extraction wins. -#}
with source as (
    select * from {{ source('bitcoin_raw', 'blockchain_stats') }}
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
    {{ cast_as(q('timestamp'), 'timestamp') }} as snapshot_at,
    {{ cast_as('market_price_usd', 'float') }} as market_price_usd,
    {{ cast_as('hash_rate', 'float') }} / 1e9 as hash_rate_ehs,
    {{ cast_as('difficulty', 'float') }} as difficulty,
    {{ cast_as('minutes_between_blocks', 'float') }} as minutes_between_blocks,
    {{ cast_as('n_tx', 'int') }} as transactions_24h,
    {{ cast_as('n_blocks_mined', 'int') }} as blocks_mined_24h,
    {{ cast_as('n_blocks_total', 'int') }} as block_height,
    {{ cast_as('estimated_transaction_volume_usd', 'float') }} as estimated_transaction_volume_24h_usd,
    {{ cast_as('estimated_btc_sent', 'float') }} / 1e8 as estimated_btc_sent_24h_btc,
    {{ cast_as('total_btc_sent', 'float') }} / 1e8 as total_btc_sent_24h_btc,
    {{ cast_as('total_fees_btc', 'float') }} / 1e8 as total_fees_24h_btc,
    {{ cast_as('n_btc_mined', 'float') }} / 1e8 as btc_mined_24h_btc,
    {{ cast_as('totalbc', 'float') }} / 1e8 as circulating_supply_btc,
    {{ cast_as('miners_revenue_usd', 'float') }} as miners_revenue_24h_usd,
    {{ cast_as('trade_volume_usd', 'float') }} as trade_volume_24h_usd,
    {{ cast_as('nextretarget', 'int') }} as next_retarget_height,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
