{#- GitHub repository counters per sync, one row per (repository, snapshot_at).
    ASSUMED raw columns (schemas/github_repository_snapshots.json does not exist yet; API names kept):
      full_name string ('bitcoin/bitcoin'), snapshot_at date-time (when the connector read it),
      stargazers_count integer, forks_count integer, watchers_count integer, subscribers_count integer,
      open_issues_count integer (issues + PRs, as GitHub counts them), pushed_at date-time,
      contributors_count integer|null (from /contributors?per_page=1&anon=1 Link rel="last"; optional). -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'github_repository_snapshots', [
        ('full_name', 'string'), ('snapshot_at', 'timestamp'), ('stargazers_count', 'int'),
        ('forks_count', 'int'), ('watchers_count', 'int'), ('subscribers_count', 'int'),
        ('open_issues_count', 'int'), ('pushed_at', 'timestamp'), ('contributors_count', 'int')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by full_name, snapshot_at
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    lower({{ cast_as('full_name', 'string') }}) as repository,
    {{ cast_as('snapshot_at', 'timestamp') }} as snapshot_at,
    {{ cast_as('stargazers_count', 'int') }} as stars,
    {{ cast_as('forks_count', 'int') }} as forks,
    {{ cast_as('subscribers_count', 'int') }} as watchers,
    {{ cast_as('open_issues_count', 'int') }} as open_issues,
    {{ cast_as('contributors_count', 'int') }} as contributors,
    {{ cast_as('pushed_at', 'timestamp') }} as pushed_at,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
