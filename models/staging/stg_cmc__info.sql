{#- CoinMarketCap metadata of BTC, one row per cmc id (latest extraction wins).
    ASSUMED raw columns (schemas/cmc_info.json does not exist yet; urls.* flattened with '_'):
      id integer, name string, symbol string, slug string, category string, logo string,
      description string, date_added date-time, date_launched date-time|null, twitter_username string|null,
      urls_website array, urls_explorer array, urls_source_code array, urls_reddit array, tags array. -#}
with source as (
    -- Absent without a key / when the provider is off: read as empty (see macros/optional_source.sql).
    select * from {{ optional_source('bitcoin_raw', 'cmc_info', [
        ('id', 'int'), ('name', 'string'), ('symbol', 'string'), ('slug', 'string'),
        ('category', 'string'), ('logo', 'string'), ('description', 'string'),
        ('date_added', 'timestamp'), ('date_launched', 'timestamp'), ('twitter_username', 'string'),
        ('urls_website', 'json'), ('urls_explorer', 'json'), ('urls_source_code', 'json'),
        ('urls_reddit', 'json'), ('tags', 'json')
    ]) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by id
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('id', 'int') }} as cmc_id,
    {{ cast_as('name', 'string') }} as asset_name,
    upper({{ cast_as('symbol', 'string') }}) as asset_symbol,
    {{ cast_as('slug', 'string') }} as slug,
    {{ cast_as('category', 'string') }} as category,
    {{ cast_as('logo', 'string') }} as logo_url,
    {{ cast_as('description', 'string') }} as description,
    {{ cast_as('date_added', 'timestamp') }} as date_added_at,
    {{ cast_as('twitter_username', 'string') }} as twitter_username,
    {{ json_scalar('urls_website', '$[0]') }} as website_url,
    {{ json_text('urls_explorer') }} as explorer_urls_json,
    {{ json_scalar('urls_explorer', '$[0]') }} as first_explorer_url,
    {{ json_scalar('urls_source_code', '$[0]') }} as source_code_url,
    {{ json_scalar('urls_reddit', '$[0]') }} as reddit_url,
    {{ json_text('tags') }} as tags_json,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
