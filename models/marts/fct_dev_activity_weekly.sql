{#- Developer activity per repository and GitHub week (Sunday 00:00 UTC): commits, releases published,
    and the week's last snapshot of stars, forks, watchers, open issues and contributors. For the main
    repository, CoinGecko's developer data fills counters GitHub did not report that week.
    Incremental: merges the weeks within the trailing lookback window on dev_activity_weekly_key. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='dev_activity_weekly_key',
          partition_by={'field': 'week_start_date', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('week_start_date')) }}
{% else %}
{{ config(materialized='incremental', unique_key='dev_activity_weekly_key') }}
{% endif %}
with commits as (
    select repository, week_start_date, commits
    from {{ ref('stg_github__commit_activity') }}
),

published_releases as (
    select
        repository,
        {{ trunc_date('week_sunday', 'published_at') }} as week_start_date,
        tag_name,
        row_number() over (
            partition by repository, {{ trunc_date('week_sunday', 'published_at') }} order by published_at desc
        ) as rank_latest
    from {{ ref('stg_github__releases') }}
    where published_at is not null and not coalesce(is_draft, false)
),

releases as (
    select
        repository,
        week_start_date,
        count(*) as releases_published,
        max(case when rank_latest = 1 then tag_name end) as latest_release_tag
    from published_releases
    group by repository, week_start_date
),

github_snapshots as (
    select
        repository,
        {{ trunc_date('week_sunday', 'snapshot_at') }} as week_start_date,
        stars, forks, watchers, open_issues, contributors,
        row_number() over (
            partition by repository, {{ trunc_date('week_sunday', 'snapshot_at') }} order by snapshot_at desc
        ) as rank_latest
    from {{ ref('stg_github__repository_snapshots') }}
),

coingecko_snapshots as (
    select
        '{{ var("github_main_repository") }}' as repository,
        {{ trunc_date('week_sunday', 'snapshot_at') }} as week_start_date,
        github_stars as stars,
        github_forks as forks,
        github_watchers as watchers,
        github_pull_request_contributors as contributors,
        row_number() over (
            partition by {{ trunc_date('week_sunday', 'snapshot_at') }} order by snapshot_at desc
        ) as rank_latest
    from {{ ref('stg_coingecko__coin_snapshots') }}
    where coingecko_coin_id = '{{ var("coingecko_coin_id") }}'
),

weeks as (
    select distinct repository, week_start_date
    from (
        select repository, week_start_date from commits
        union all
        select repository, week_start_date from releases
        union all
        select repository, week_start_date from github_snapshots
        union all
        select repository, week_start_date from coingecko_snapshots
    ) as observed_weeks
)

select
    {{ surrogate_key(['weeks.repository', 'weeks.week_start_date']) }} as dev_activity_weekly_key,
    dim_asset.asset_key,
    dim_source.source_key,
    weeks.repository,
    weeks.week_start_date,
    commits.commits,
    {{ cast_as('coalesce(releases.releases_published, 0)', 'int') }} as releases_published,
    releases.latest_release_tag,
    coalesce(gh.stars, cg.stars) as stars,
    coalesce(gh.forks, cg.forks) as forks,
    coalesce(gh.watchers, cg.watchers) as watchers,
    gh.open_issues,
    coalesce(gh.contributors, cg.contributors) as contributors,
    case
        when gh.stars is not null then 'github'
        when cg.stars is not null then 'coingecko'
    end as counters_source_id
from weeks
left join commits
    on commits.repository = weeks.repository and commits.week_start_date = weeks.week_start_date
left join releases
    on releases.repository = weeks.repository and releases.week_start_date = weeks.week_start_date
left join github_snapshots as gh
    on gh.repository = weeks.repository and gh.week_start_date = weeks.week_start_date and gh.rank_latest = 1
left join coingecko_snapshots as cg
    on cg.repository = weeks.repository and cg.week_start_date = weeks.week_start_date and cg.rank_latest = 1
cross join {{ ref('dim_asset') }} as dim_asset
inner join {{ ref('dim_source') }} as dim_source
    on dim_source.source_id = 'github'
where {{ incremental_window('weeks.week_start_date', 'week_start_date') }}
