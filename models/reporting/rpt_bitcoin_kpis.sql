{#- One row: the latest value of every KPI of DESIGN.md. Market figures prefer CoinMarketCap's latest quote
    and fall back to CoinGecko's; both are shown where they are cross-checked (price spread). Every other value
    is the latest non-NULL observation of its fact. History KPIs live in the facts (fct_price_ohlcv,
    rpt_price_indicators_daily); this row carries their latest point. -#}
with latest_quotes as (
    select *
    from (
        select
            *,
            row_number() over (partition by source_id order by snapshot_at desc) as rank_latest
        from {{ ref('fct_market_snapshot') }}
    ) as ranked
    where rank_latest = 1
),

-- One row whatever exists (aggregates over no rows give NULLs), so later cross joins never drop the report;
-- outer joins without an equality are avoided because BigQuery rejects them.
by_source as (
    select
        max(case when source_id = 'coinmarketcap' then snapshot_at end) as cmc_snapshot_at,
        max(case when source_id = 'coingecko' then snapshot_at end) as cg_snapshot_at,
        max(case when source_id = 'coinmarketcap' then price_usd end) as cmc_price_usd,
        max(case when source_id = 'coingecko' then price_usd end) as cg_price_usd,
        max(case when source_id = 'coinmarketcap' then price_change_24h_usd end) as cmc_price_change_24h_usd,
        max(case when source_id = 'coingecko' then price_change_24h_usd end) as cg_price_change_24h_usd,
        max(case when source_id = 'coinmarketcap' then price_change_pct_24h end) as cmc_price_change_pct_24h,
        max(case when source_id = 'coingecko' then price_change_pct_24h end) as cg_price_change_pct_24h,
        max(case when source_id = 'coinmarketcap' then price_change_pct_7d end) as cmc_price_change_pct_7d,
        max(case when source_id = 'coingecko' then price_change_pct_7d end) as cg_price_change_pct_7d,
        max(case when source_id = 'coinmarketcap' then price_change_pct_30d end) as cmc_price_change_pct_30d,
        max(case when source_id = 'coingecko' then price_change_pct_30d end) as cg_price_change_pct_30d,
        max(case when source_id = 'coinmarketcap' then market_cap_usd end) as cmc_market_cap_usd,
        max(case when source_id = 'coingecko' then market_cap_usd end) as cg_market_cap_usd,
        max(case when source_id = 'coinmarketcap' then fully_diluted_market_cap_usd end) as cmc_fully_diluted_market_cap_usd,
        max(case when source_id = 'coingecko' then fully_diluted_market_cap_usd end) as cg_fully_diluted_market_cap_usd,
        max(case when source_id = 'coinmarketcap' then volume_24h_usd end) as cmc_volume_24h_usd,
        max(case when source_id = 'coingecko' then volume_24h_usd end) as cg_volume_24h_usd,
        max(case when source_id = 'coinmarketcap' then circulating_supply_btc end) as cmc_circulating_supply_btc,
        max(case when source_id = 'coingecko' then circulating_supply_btc end) as cg_circulating_supply_btc,
        max(case when source_id = 'coinmarketcap' then total_supply_btc end) as cmc_total_supply_btc,
        max(case when source_id = 'coingecko' then total_supply_btc end) as cg_total_supply_btc,
        max(case when source_id = 'coinmarketcap' then max_supply_btc end) as cmc_max_supply_btc,
        max(case when source_id = 'coingecko' then max_supply_btc end) as cg_max_supply_btc,
        max(case when source_id = 'coinmarketcap' then btc_dominance_pct end) as cmc_btc_dominance_pct,
        max(case when source_id = 'coingecko' then btc_dominance_pct end) as cg_btc_dominance_pct,
        max(case when source_id = 'coinmarketcap' then market_cap_rank end) as cmc_market_cap_rank,
        max(case when source_id = 'coingecko' then market_cap_rank end) as cg_market_cap_rank
    from latest_quotes
),

market as (
    select
        coalesce(cmc_snapshot_at, cg_snapshot_at) as market_as_of,
        case when cmc_price_usd is not null then 'coinmarketcap' else 'coingecko' end as market_source_id,
        coalesce(cmc_price_usd, cg_price_usd) as price_usd,
        cmc_price_usd as price_usd_coinmarketcap,
        cg_price_usd as price_usd_coingecko,
        {{ pct_change('cmc_price_usd', 'cg_price_usd') }} as price_spread_pct,
        coalesce(cmc_price_change_24h_usd, cg_price_change_24h_usd) as price_change_24h_usd,
        coalesce(cmc_price_change_pct_24h, cg_price_change_pct_24h) as price_change_pct_24h,
        coalesce(cmc_price_change_pct_7d, cg_price_change_pct_7d) as price_change_pct_7d,
        coalesce(cmc_price_change_pct_30d, cg_price_change_pct_30d) as price_change_pct_30d,
        coalesce(cmc_market_cap_usd, cg_market_cap_usd) as market_cap_usd,
        coalesce(cmc_fully_diluted_market_cap_usd, cg_fully_diluted_market_cap_usd) as fully_diluted_market_cap_usd,
        coalesce(cmc_volume_24h_usd, cg_volume_24h_usd) as volume_24h_usd,
        coalesce(cmc_circulating_supply_btc, cg_circulating_supply_btc) as circulating_supply_btc,
        coalesce(cmc_total_supply_btc, cg_total_supply_btc) as total_supply_btc,
        coalesce(cmc_max_supply_btc, cg_max_supply_btc) as max_supply_btc,
        coalesce(cmc_btc_dominance_pct, cg_btc_dominance_pct) as btc_dominance_pct,
        cmc_market_cap_rank as cmc_rank,
        cg_market_cap_rank as coingecko_rank
    from by_source
),

indicators as (
    select
        max(date_day) as date_day,
        max(close_usd) as close_usd,
        max(return_1d_pct) as return_1d_pct,
        max(return_7d_pct) as return_7d_pct,
        max(return_30d_pct) as return_30d_pct,
        max(sma_7_usd) as sma_7_usd,
        max(sma_30_usd) as sma_30_usd,
        max(sma_50_usd) as sma_50_usd,
        max(sma_200_usd) as sma_200_usd,
        max(ema_12_usd) as ema_12_usd,
        max(ema_26_usd) as ema_26_usd,
        max(macd_usd) as macd_usd,
        max(macd_signal_usd) as macd_signal_usd,
        max(macd_histogram_usd) as macd_histogram_usd,
        max(rsi_14) as rsi_14
    from {{ ref('rpt_price_indicators_daily') }}
    where date_day = (select max(date_day) from {{ ref('rpt_price_indicators_daily') }})
),

social as (
    select
        max(case when platform = 'twitter' and rank_latest = 1 then followers end) as twitter_followers,
        max(case when platform = 'reddit' and source_id = 'reddit' and rank_latest = 1 then followers end) as reddit_subscribers_reddit,
        max(case when platform = 'reddit' and source_id = 'coingecko' and rank_latest = 1 then followers end) as reddit_subscribers_coingecko,
        max(case when platform = 'reddit' and source_id = 'reddit' and rank_latest = 1 then active_users end) as reddit_active_users,
        max(case when platform = 'reddit' and source_id = 'coingecko' and rank_latest = 1 then active_users end) as reddit_accounts_active_48h
    from (
        select
            daily_social.*,
            dim_source.source_id,
            row_number() over (
                partition by daily_social.platform, dim_source.source_id order by daily_social.date_day desc
            ) as rank_latest
        from {{ ref('fct_social_daily') }} as daily_social
        inner join {{ ref('dim_source') }} as dim_source on dim_source.source_key = daily_social.source_key
    ) as ranked
),

dev_main as (
    select *
    from {{ ref('fct_dev_activity_weekly') }}
    where repository = '{{ var("github_main_repository") }}'
),

dev as (
    select
        (select stars from dev_main where stars is not null order by week_start_date desc limit 1) as github_stars,
        (select forks from dev_main where forks is not null order by week_start_date desc limit 1) as github_forks,
        (select open_issues from dev_main where open_issues is not null order by week_start_date desc limit 1) as github_open_issues,
        (select contributors from dev_main where contributors is not null order by week_start_date desc limit 1) as github_contributors,
        (select commits from dev_main
          where commits is not null and week_start_date < {{ trunc_date('week_sunday', cast_as(now_utc(), 'date')) }}
          order by week_start_date desc limit 1) as github_commits_last_full_week,
        (select sum(commits) from dev_main
          where week_start_date >= {{ add_days(trunc_date('week_sunday', cast_as(now_utc(), 'date')), -364) }}) as github_commits_52_weeks,
        (select sum(releases_published) from dev_main
          where week_start_date >= {{ add_days(trunc_date('week_sunday', cast_as(now_utc(), 'date')), -364) }}) as github_releases_52_weeks,
        (select latest_release_tag from dev_main where latest_release_tag is not null
          order by week_start_date desc limit 1) as github_latest_release_tag
),

latest_tickers as (
    select *
    from {{ ref('fct_exchange_tickers') }}
    where date_day = (select max(date_day) from {{ ref('fct_exchange_tickers') }})
),

exchanges as (
    select
        count(distinct exchange_key) as exchanges_trading_btc,
        count(distinct market_pair_key) as btc_trading_pairs,
        avg(bid_ask_spread_pct) as avg_bid_ask_spread_pct
    from latest_tickers
),

onchain_main as (
    select * from {{ ref('fct_onchain_daily') }}
),

onchain as (
    select
        (select transaction_count from onchain_main where transaction_count is not null order by date_day desc limit 1) as transaction_count_24h,
        (select active_addresses from onchain_main where active_addresses is not null order by date_day desc limit 1) as active_addresses_24h,
        (select transaction_volume_usd from onchain_main where transaction_volume_usd is not null order by date_day desc limit 1) as transaction_volume_24h_usd,
        (select transaction_volume_btc from onchain_main where transaction_volume_btc is not null order by date_day desc limit 1) as transaction_volume_24h_btc,
        (select hash_rate_ehs from onchain_main where hash_rate_ehs is not null order by date_day desc limit 1) as hash_rate_ehs,
        (select difficulty from onchain_main where difficulty is not null order by date_day desc limit 1) as difficulty,
        (select change_pct from {{ ref('fct_difficulty_adjustment') }} order by block_height desc limit 1) as last_difficulty_change_pct
)

select
    {{ now_utc() }} as generated_at,
    market.market_as_of,
    indicators.date_day as indicators_as_of,
    dim_asset.asset_name,
    dim_asset.asset_symbol,
    dim_asset.logo_url,
    dim_asset.description,
    dim_asset.website_url,
    dim_asset.explorer_urls_json,
    market.market_source_id,
    market.price_usd,
    market.price_usd_coinmarketcap,
    market.price_usd_coingecko,
    market.price_spread_pct,
    market.price_change_24h_usd,
    market.price_change_pct_24h,
    market.price_change_pct_7d,
    market.price_change_pct_30d,
    market.market_cap_usd,
    market.fully_diluted_market_cap_usd,
    market.volume_24h_usd,
    market.circulating_supply_btc,
    market.total_supply_btc,
    market.max_supply_btc,
    market.btc_dominance_pct,
    market.cmc_rank,
    market.coingecko_rank,
    indicators.close_usd as last_daily_close_usd,
    indicators.return_1d_pct,
    indicators.return_7d_pct,
    indicators.return_30d_pct,
    indicators.sma_7_usd,
    indicators.sma_30_usd,
    indicators.sma_50_usd,
    indicators.sma_200_usd,
    indicators.ema_12_usd,
    indicators.ema_26_usd,
    indicators.macd_usd,
    indicators.macd_signal_usd,
    indicators.macd_histogram_usd,
    indicators.rsi_14,
    social.twitter_followers,
    coalesce(social.reddit_subscribers_reddit, social.reddit_subscribers_coingecko) as reddit_subscribers,
    social.reddit_active_users,
    social.reddit_accounts_active_48h,
    dev.github_stars,
    dev.github_forks,
    dev.github_open_issues,
    dev.github_contributors,
    dev.github_commits_last_full_week,
    dev.github_commits_52_weeks,
    dev.github_releases_52_weeks,
    dev.github_latest_release_tag,
    exchanges.exchanges_trading_btc,
    exchanges.btc_trading_pairs,
    exchanges.avg_bid_ask_spread_pct,
    onchain.transaction_count_24h,
    onchain.active_addresses_24h,
    onchain.transaction_volume_24h_usd,
    onchain.transaction_volume_24h_btc,
    onchain.hash_rate_ehs,
    onchain.difficulty,
    onchain.last_difficulty_change_pct
from market
cross join {{ ref('dim_asset') }} as dim_asset
cross join indicators
cross join social
cross join dev
cross join exchanges
cross join onchain
