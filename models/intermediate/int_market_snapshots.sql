{#- Market quotes of both providers in one shape (one row per provider and snapshot time), with BTC dominance
    and the total crypto market cap attached: CoinMarketCap from its own quote (market_cap_dominance) and
    global metrics, CoinGecko from the latest /global figures at or before the snapshot (within a day). -#}
with coingecko as (
    select
        'coingecko' as source_id,
        coingecko_coin_id,
        {{ cast_as('null', 'int') }} as cmc_id,
        snapshot_at,
        price_usd,
        market_cap_usd,
        fully_diluted_market_cap_usd,
        volume_24h_usd,
        circulating_supply_btc,
        total_supply_btc,
        max_supply_btc,
        price_change_24h_usd,
        {{ cast_as('null', 'float') }} as price_change_pct_1h,
        price_change_pct_24h,
        price_change_pct_7d,
        price_change_pct_30d,
        market_cap_change_pct_24h,
        market_cap_rank,
        {{ cast_as('null', 'float') }} as quote_dominance_pct
    from {{ ref('stg_coingecko__coin_snapshots') }}
),

cmc as (
    select
        'coinmarketcap' as source_id,
        {{ cast_as('null', 'string') }} as coingecko_coin_id,
        cmc_id,
        snapshot_at,
        price_usd,
        market_cap_usd,
        fully_diluted_market_cap_usd,
        volume_24h_usd,
        circulating_supply_btc,
        total_supply_btc,
        max_supply_btc,
        price_usd - {{ safe_divide('price_usd', '1 + price_change_pct_24h / 100') }} as price_change_24h_usd,
        price_change_pct_1h,
        price_change_pct_24h,
        price_change_pct_7d,
        price_change_pct_30d,
        {{ cast_as('null', 'float') }} as market_cap_change_pct_24h,
        cmc_rank as market_cap_rank,
        market_cap_dominance_pct as quote_dominance_pct
    from {{ ref('stg_cmc__quotes_latest') }}
),

quotes as (
    select * from coingecko
    union all
    select * from cmc
),

globals as (
    select 'coingecko' as source_id, snapshot_at, btc_dominance_pct, total_market_cap_usd
    from {{ ref('stg_coingecko__global') }}
    union all
    select 'coinmarketcap' as source_id, snapshot_at, btc_dominance_pct, total_market_cap_usd
    from {{ ref('stg_cmc__global_metrics') }}
),

global_as_of as (
    select
        quotes.source_id,
        quotes.snapshot_at,
        globals.btc_dominance_pct,
        globals.total_market_cap_usd,
        row_number() over (
            partition by quotes.source_id, quotes.snapshot_at order by globals.snapshot_at desc
        ) as rank_latest
    from quotes
    inner join globals
        on globals.source_id = quotes.source_id
       and globals.snapshot_at <= quotes.snapshot_at
       and globals.snapshot_at > {{ add_to_ts('day', -1, 'quotes.snapshot_at') }}
)

select
    quotes.*,
    coalesce(quotes.quote_dominance_pct, global_as_of.btc_dominance_pct) as btc_dominance_pct,
    global_as_of.total_market_cap_usd as total_crypto_market_cap_usd
from quotes
left join global_as_of
    on global_as_of.source_id = quotes.source_id
   and global_as_of.snapshot_at = quotes.snapshot_at
   and global_as_of.rank_latest = 1
