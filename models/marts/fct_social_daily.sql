{#- Community size per day, one row per (day, provider, platform, community): Reddit subscribers and active
    users (Reddit's own about.json, and CoinGecko's community data), Twitter/X followers and Telegram members
    (CoinGecko; often NULL — CoinGecko dropped twitter_followers in 2024). The day's latest snapshot wins.
    Incremental: merges the trailing lookback window on social_daily_key. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='social_daily_key',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('date_day')) }}
{% else %}
{{ config(materialized='incremental', unique_key='social_daily_key') }}
{% endif %}
with observations as (
    select
        'reddit' as source_id,
        'reddit' as platform,
        'r/' || subreddit as community,
        snapshot_at,
        subscribers as followers,
        active_users,
        {{ cast_as('null', 'string') }} as active_users_window
    from {{ ref('stg_reddit__subreddit_snapshots') }}
    union all
    select 'coingecko', 'reddit', coalesce(subreddit_url, 'reddit'), snapshot_at,
           reddit_subscribers, reddit_accounts_active_48h, '48h'
    from {{ ref('stg_coingecko__coin_snapshots') }}
    where reddit_subscribers is not null
    union all
    select 'coingecko', 'twitter', coalesce('@' || twitter_screen_name, 'twitter'), snapshot_at,
           twitter_followers, {{ cast_as('null', 'int') }}, {{ cast_as('null', 'string') }}
    from {{ ref('stg_coingecko__coin_snapshots') }}
    where twitter_followers is not null
    union all
    select 'coingecko', 'telegram', 'telegram', snapshot_at,
           telegram_channel_users, {{ cast_as('null', 'int') }}, {{ cast_as('null', 'string') }}
    from {{ ref('stg_coingecko__coin_snapshots') }}
    where telegram_channel_users is not null
),

latest_of_day as (
    select
        *,
        {{ cast_as('snapshot_at', 'date') }} as date_day,
        row_number() over (
            partition by source_id, platform, community, {{ cast_as('snapshot_at', 'date') }}
            order by snapshot_at desc
        ) as rank_latest
    from observations
)

select
    {{ surrogate_key(['o.date_day', 'o.source_id', 'o.platform', 'o.community']) }} as social_daily_key,
    dim_asset.asset_key,
    dim_source.source_key,
    o.date_day,
    o.platform,
    o.community,
    o.snapshot_at,
    {{ cast_as('o.followers', 'int') }} as followers,
    {{ cast_as('o.active_users', 'int') }} as active_users,
    o.active_users_window
from latest_of_day as o
cross join {{ ref('dim_asset') }} as dim_asset
inner join {{ ref('dim_source') }} as dim_source
    on dim_source.source_id = o.source_id
where o.rank_latest = 1
  and {{ incremental_window('o.date_day') }}
