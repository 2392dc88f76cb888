{#- Reddit subreddit counters per sync, one row per (subreddit, snapshot_at).
    ASSUMED raw columns (schemas/reddit_subreddit_snapshots.json does not exist yet; API names kept):
      display_name string ('Bitcoin'), snapshot_at date-time (when the connector read it),
      subscribers integer, active_user_count integer|null (may be fuzzed), created_utc number. -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'reddit_subreddit_snapshots', [
        ('display_name', 'string'), ('snapshot_at', 'timestamp'), ('subscribers', 'int'),
        ('active_user_count', 'int'), ('created_utc', 'float')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by display_name, snapshot_at
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('display_name', 'string') }} as subreddit,
    {{ cast_as('snapshot_at', 'timestamp') }} as snapshot_at,
    {{ cast_as('subscribers', 'int') }} as subscribers,
    {{ cast_as('active_user_count', 'int') }} as active_users,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
