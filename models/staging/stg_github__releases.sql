{#- GitHub releases, one row per (repository, release id).
    ASSUMED raw columns (schemas/github_releases.json does not exist yet; API names kept):
      repository string (added by the connector), id integer, tag_name string, name string|null,
      draft boolean, prerelease boolean, created_at date-time, published_at date-time|null, html_url string. -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'github_releases', [
        ('repository', 'string'), ('id', 'int'), ('tag_name', 'string'), ('name', 'string'),
        ('draft', 'bool'), ('prerelease', 'bool'), ('created_at', 'timestamp'),
        ('published_at', 'timestamp'), ('html_url', 'string')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by repository, id
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    lower({{ cast_as('repository', 'string') }}) as repository,
    {{ cast_as('id', 'int') }} as release_id,
    {{ cast_as('tag_name', 'string') }} as tag_name,
    {{ cast_as('name', 'string') }} as release_name,
    {{ cast_as('draft', 'bool') }} as is_draft,
    {{ cast_as('prerelease', 'bool') }} as is_prerelease,
    {{ cast_as('created_at', 'timestamp') }} as created_at,
    {{ cast_as('published_at', 'timestamp') }} as published_at,
    {{ cast_as('html_url', 'string') }} as release_url,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
