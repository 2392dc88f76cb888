{#- CoinGecko price / market cap / 24 h volume points, one row per (granularity, point_at), USD only.
    Deduplicated on the stream's primary key (granularity, timestamp): the latest extraction wins.
    Incremental: merges the raw rows extracted since the last build on the key (macros/incremental_window.sql). -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key=['granularity', 'point_at'],
          partition_by={'field': 'point_at', 'data_type': 'timestamp', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('point_at', 'timestamp')) }}
{% else %}
{{ config(materialized='incremental', unique_key=['granularity', 'point_at']) }}
{% endif %}
{%- set window = staging_window('point_at', 'timestamp') %}
with source as (
    select * from {{ source('bitcoin_raw', 'coingecko_market_chart') }}
    where {{ extracted_since(window) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by granularity, {{ q('timestamp') }}
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('coin_id', 'string') }} as coingecko_coin_id,
    {{ cast_as('granularity', 'string') }} as granularity,
    {{ cast_as(q('timestamp'), 'timestamp') }} as point_at,
    {{ cast_as('price', 'float') }} as price_usd,
    {{ cast_as('market_cap', 'float') }} as market_cap_usd,
    {{ cast_as('total_volume', 'float') }} as volume_24h_usd,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and lower(coalesce(vs_currency, 'usd')) = 'usd'
  and {{ merge_guard(cast_as(q('timestamp'), 'timestamp'), none if window is none else window.newest, 'timestamp', 'timestamp') }}
