{#- CoinGecko /coins/{id} snapshots: metadata, market data (USD), community and developer counters.
    One row per (coin, last_updated); the latest extraction wins. -#}
with source as (
    select * from {{ source('bitcoin_raw', 'coingecko_coin_snapshots') }}
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
    {{ cast_as('id', 'string') }} as coingecko_coin_id,
    {{ cast_as('last_updated', 'timestamp') }} as snapshot_at,
    upper({{ cast_as('symbol', 'string') }}) as asset_symbol,
    {{ cast_as('name', 'string') }} as asset_name,
    {{ cast_as('hashing_algorithm', 'string') }} as hashing_algorithm,
    {{ cast_as('genesis_date', 'string') }} as genesis_date,
    {{ cast_as('description', 'string') }} as description,
    {{ cast_as('homepage_url', 'string') }} as website_url,
    {{ cast_as('whitepaper_url', 'string') }} as whitepaper_url,
    {{ json_text('blockchain_sites') }} as explorer_urls_json,
    {{ json_scalar('blockchain_sites', '$[0]') }} as first_explorer_url,
    {{ cast_as('subreddit_url', 'string') }} as subreddit_url,
    {{ cast_as('twitter_screen_name', 'string') }} as twitter_screen_name,
    {{ cast_as('logo_url', 'string') }} as logo_url,
    {{ cast_as('market_cap_rank', 'int') }} as market_cap_rank,
    {{ cast_as('current_price', 'float') }} as price_usd,
    {{ cast_as('market_cap', 'float') }} as market_cap_usd,
    {{ cast_as('fully_diluted_valuation', 'float') }} as fully_diluted_market_cap_usd,
    {{ cast_as('total_volume', 'float') }} as volume_24h_usd,
    {{ cast_as('high_24h', 'float') }} as high_24h_usd,
    {{ cast_as('low_24h', 'float') }} as low_24h_usd,
    {{ cast_as('price_change_24h', 'float') }} as price_change_24h_usd,
    {{ cast_as('price_change_percentage_24h', 'float') }} as price_change_pct_24h,
    {{ cast_as('price_change_percentage_7d', 'float') }} as price_change_pct_7d,
    {{ cast_as('price_change_percentage_30d', 'float') }} as price_change_pct_30d,
    {{ cast_as('market_cap_change_percentage_24h', 'float') }} as market_cap_change_pct_24h,
    {{ cast_as('circulating_supply', 'float') }} as circulating_supply_btc,
    {{ cast_as('total_supply', 'float') }} as total_supply_btc,
    {{ cast_as('max_supply', 'float') }} as max_supply_btc,
    {{ cast_as('twitter_followers', 'int') }} as twitter_followers,
    {{ cast_as('reddit_subscribers', 'int') }} as reddit_subscribers,
    {{ cast_as('reddit_accounts_active_48h', 'int') }} as reddit_accounts_active_48h,
    {{ cast_as('telegram_channel_user_count', 'int') }} as telegram_channel_users,
    {{ cast_as('stars', 'int') }} as github_stars,
    {{ cast_as('forks', 'int') }} as github_forks,
    {{ cast_as('subscribers', 'int') }} as github_watchers,
    {{ cast_as('total_issues', 'int') }} as github_total_issues,
    {{ cast_as('closed_issues', 'int') }} as github_closed_issues,
    {{ cast_as('pull_request_contributors', 'int') }} as github_pull_request_contributors,
    {{ cast_as('commit_count_4_weeks', 'int') }} as github_commits_4_weeks,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and lower(coalesce(vs_currency, 'usd')) = 'usd'
