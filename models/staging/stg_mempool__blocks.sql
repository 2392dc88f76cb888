{#- mempool.space blocks, one row per height. Units made explicit: fees and reward satoshis -> BTC.
    Incremental: merges the raw rows extracted since the last build on the key (macros/incremental_window.sql). -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='block_height',
          partition_by={'field': 'mined_at', 'data_type': 'timestamp', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('mined_at', 'timestamp')) }}
{% else %}
{{ config(materialized='incremental', unique_key='block_height') }}
{% endif %}
{%- set window = staging_window('mined_at', 'timestamp') %}
with source as (
    select * from {{ source('bitcoin_raw', 'mempool_blocks') }}
    where {{ extracted_since(window) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by height
            order by _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) as dedup_rank
    from source
)

select
    {{ cast_as('height', 'int') }} as block_height,
    {{ cast_as('id', 'string') }} as block_hash,
    {{ cast_as(q('timestamp'), 'timestamp') }} as mined_at,
    {{ cast_as('tx_count', 'int') }} as transaction_count,
    {{ cast_as('size', 'int') }} as size_bytes,
    {{ cast_as('weight', 'int') }} as weight_units,
    {{ cast_as('difficulty', 'float') }} as difficulty,
    {{ cast_as('total_fees', 'float') }} / 1e8 as total_fees_btc,
    {{ cast_as('reward', 'float') }} / 1e8 as reward_btc,
    {{ cast_as('median_fee', 'float') }} as median_fee_rate_sat_vb,
    {{ cast_as('avg_fee_rate', 'float') }} as avg_fee_rate_sat_vb,
    {{ cast_as('pool_name', 'string') }} as pool_name,
    {{ cast_as('pool_slug', 'string') }} as pool_slug,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
  and {{ merge_guard(cast_as(q('timestamp'), 'timestamp'), none if window is none else window.newest, 'timestamp', 'timestamp') }}
