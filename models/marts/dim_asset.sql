{#- The asset (Bitcoin) with its identifiers at each provider and its metadata: name, symbol, logo,
    description, website and block explorer URLs. CoinMarketCap metadata is preferred, CoinGecko fills gaps. -#}
with coingecko_latest as (
    select *
    from (
        select
            *,
            row_number() over (partition by coingecko_coin_id order by snapshot_at desc) as rank_latest
        from {{ ref('stg_coingecko__coin_snapshots') }}
        where coingecko_coin_id = '{{ var("coingecko_coin_id") }}'
    ) as ranked
    where rank_latest = 1
),

cmc_info as (
    select * from {{ ref('stg_cmc__info') }}
    where cmc_id = {{ var('cmc_id') }}
),

asset as (
    select
        '{{ var("asset_symbol") }}' as asset_symbol,
        '{{ var("coingecko_coin_id") }}' as coingecko_coin_id,
        {{ cast_as(var('cmc_id'), 'int') }} as cmc_id
)

select
    {{ surrogate_key(['asset.asset_symbol']) }} as asset_key,
    asset.asset_symbol,
    asset.coingecko_coin_id,
    asset.cmc_id,
    coalesce(cmc_info.asset_name, coingecko_latest.asset_name, 'Bitcoin') as asset_name,
    cmc_info.slug as cmc_slug,
    coalesce(cmc_info.logo_url, coingecko_latest.logo_url) as logo_url,
    coalesce(cmc_info.description, coingecko_latest.description) as description,
    coalesce(cmc_info.website_url, coingecko_latest.website_url) as website_url,
    coalesce(cmc_info.explorer_urls_json, coingecko_latest.explorer_urls_json) as explorer_urls_json,
    coalesce(cmc_info.first_explorer_url, coingecko_latest.first_explorer_url) as explorer_url,
    coalesce(cmc_info.source_code_url, 'https://github.com/{{ var("github_main_repository") }}') as source_code_url,
    coingecko_latest.whitepaper_url,
    coingecko_latest.hashing_algorithm,
    coingecko_latest.genesis_date,
    coalesce(cmc_info.twitter_username, coingecko_latest.twitter_screen_name) as twitter_handle,
    coalesce(cmc_info.reddit_url, coingecko_latest.subreddit_url) as subreddit_url,
    coingecko_latest.max_supply_btc,
    cmc_info.date_added_at as cmc_date_added_at,
    case when cmc_info.cmc_id is not null then 'coinmarketcap' else 'coingecko' end as metadata_source_id
from asset
left join coingecko_latest on coingecko_latest.coingecko_coin_id = asset.coingecko_coin_id
left join cmc_info on cmc_info.cmc_id = asset.cmc_id
