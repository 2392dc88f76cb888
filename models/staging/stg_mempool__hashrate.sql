{#- mempool.space daily average hash rate. Units made explicit: H/s -> EH/s (/ 1e18). -#}
with source as (
    select * from {{ source('bitcoin_raw', 'mempool_hashrate') }}
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
