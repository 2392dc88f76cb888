{#- GitHub weekly commit counts (/stats/commit_activity), one row per (repository, week).
    GitHub weeks start on Sunday 00:00 UTC.
    ASSUMED raw columns (schemas/github_commit_activity.json does not exist yet):
      repository string ('bitcoin/bitcoin', added by the connector), week date-time (from unix seconds),
      total integer, days array of 7 integers (Sunday..Saturday). -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'github_commit_activity', [
        ('repository', 'string'), ('week', 'timestamp'), ('total', 'int'), ('days', 'json')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by repository, {{ q('week') }}
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    lower({{ cast_as('repository', 'string') }}) as repository,
    {{ cast_as(cast_as(q('week'), 'timestamp'), 'date') }} as week_start_date,
    {{ cast_as(q('total'), 'int') }} as commits,
    {{ json_text('days') }} as commits_by_weekday_json,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
