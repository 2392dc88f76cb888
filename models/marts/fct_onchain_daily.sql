{#- Daily Bitcoin network activity, one row per UTC day: transactions, active addresses, transaction volume
    (USD and BTC output volume), hash rate (EH/s; mempool.space preferred, blockchain.com fallback), difficulty,
    blocks and fees. Incremental: merges the trailing lookback window on onchain_daily_key. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='onchain_daily_key',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('date_day')) }}
{% else %}
{{ config(materialized='incremental', unique_key='onchain_daily_key') }}
{% endif %}

select
    {{ surrogate_key(['dim_asset.asset_key', 'onchain.date_day']) }} as onchain_daily_key,
    dim_asset.asset_key,
    onchain.date_day,
    {{ cast_as('onchain.transaction_count', 'int') }} as transaction_count,
    {{ cast_as('onchain.active_addresses', 'int') }} as active_addresses,
    onchain.transaction_volume_usd,
    onchain.output_volume_btc as transaction_volume_btc,
    onchain.hash_rate_ehs,
    onchain.hash_rate_ehs_mempool,
    onchain.hash_rate_ehs_blockchain_com,
    onchain.difficulty,
    {{ cast_as('onchain.blocks_mined', 'int') }} as blocks_mined,
    {{ cast_as('onchain.block_transaction_count', 'int') }} as block_transaction_count,
    onchain.total_fees_btc,
    {{ cast_as('onchain.last_block_height', 'int') }} as last_block_height
from {{ ref('int_onchain_daily') }} as onchain
cross join {{ ref('dim_asset') }} as dim_asset
where {{ incremental_window('onchain.date_day') }}
