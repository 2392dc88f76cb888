{#- mempool.space daily average hash rate. Units made explicit: H/s -> EH/s (/ 1e18).
    Incremental: merges the raw rows extracted since the last build on the key (macros/incremental_window.sql). -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='observed_date',
          partition_by={'field': 'observed_date', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('observed_date', 'date')) }}
{% else %}
{{ config(materialized='incremental', unique_key='observed_date') }}
{% endif %}
{%- set window = staging_window('observed_date', 'date') %}
with source as (
    select * from {{ source('bitcoin_raw', 'mempool_hashrate') }}
    where {{ extracted_since(window) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by {{ q('timestamp') }}
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as(cast_as(q('timestamp'), 'timestamp'), 'date') }} as observed_date,
    {{ cast_as('avg_hashrate', 'float') }} / 1e18 as hash_rate_ehs,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and {{ merge_guard(cast_as(cast_as(q('timestamp'), 'timestamp'), 'date'), none if window is none else window.newest, 'date', 'date') }}
