{#- mempool.space difficulty adjustments (every 2016 blocks). adjustment_ratio is new / previous
    difficulty (1.05 = +5 %); change_pct is the same in percent. One row per height. -#}
with source as (
    select * from {{ source('bitcoin_raw', 'mempool_difficulty_adjustments') }}
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
    {{ cast_as(q('timestamp'), 'timestamp') }} as adjusted_at,
    {{ cast_as('difficulty', 'float') }} as difficulty,
    {{ cast_as('adjustment', 'float') }} as adjustment_ratio,
    coalesce(
        {{ cast_as('change_percent', 'float') }},
        ({{ cast_as('adjustment', 'float') }} - 1) * 100
    ) as change_pct,
    {{ cast_as('_airbyte_extracted_at', 'timestamp') }} as extracted_at
from ranked
where dedup_rank = 1
