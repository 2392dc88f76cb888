{#- Point-in-time market quotes of BTC, one row per (asset, provider, snapshot time): price, market cap,
    fully diluted market cap, 24 h volume, supplies, changes, rank and BTC dominance. Both providers are kept
    so reports can prefer one and cross-check the other. Incremental: merges on market_snapshot_key. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='market_snapshot_key',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          cluster_by=['source_key'],
          incremental_predicates=merge_window_predicates('date_day')) }}
{% else %}
{{ config(materialized='incremental', unique_key='market_snapshot_key') }}
{% endif %}

select
    {{ surrogate_key(['dim_asset.asset_key', 'snapshots.source_id', 'snapshots.snapshot_at']) }} as market_snapshot_key,
    dim_asset.asset_key,
    dim_source.source_key,
    snapshots.source_id,
    snapshots.snapshot_at,
    {{ cast_as('snapshots.snapshot_at', 'date') }} as date_day,
    snapshots.price_usd,
    snapshots.market_cap_usd,
    snapshots.fully_diluted_market_cap_usd,
    snapshots.volume_24h_usd,
    snapshots.circulating_supply_btc,
    snapshots.total_supply_btc,
    snapshots.max_supply_btc,
    snapshots.price_change_24h_usd,
    snapshots.price_change_pct_1h,
    snapshots.price_change_pct_24h,
    snapshots.price_change_pct_7d,
    snapshots.price_change_pct_30d,
    snapshots.market_cap_change_pct_24h,
    snapshots.market_cap_rank,
    snapshots.btc_dominance_pct,
    snapshots.total_crypto_market_cap_usd
from {{ ref('int_market_snapshots') }} as snapshots
inner join {{ ref('dim_asset') }} as dim_asset
    on dim_asset.coingecko_coin_id = snapshots.coingecko_coin_id
    or dim_asset.cmc_id = snapshots.cmc_id
inner join {{ ref('dim_source') }} as dim_source
    on dim_source.source_id = snapshots.source_id
where {{ incremental_window(cast_as('snapshots.snapshot_at', 'date')) }}
