{#- Difficulty adjustments (every 2016 blocks), one row per adjustment block, with the previous difficulty
    and the days since the previous adjustment. Incremental: the lag is taken over every adjustment (one per
    ~2 weeks, a few hundred rows), then only the trailing lookback window is merged. -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='difficulty_adjustment_key',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'year'},
          incremental_predicates=merge_window_predicates('date_day')) }}
{% else %}
{{ config(materialized='incremental', unique_key='difficulty_adjustment_key') }}
{% endif %}
with adjustments as (
    select
        block_height,
        adjusted_at,
        difficulty,
        adjustment_ratio,
        change_pct,
        lag(difficulty) over (order by block_height) as previous_difficulty,
        lag(adjusted_at) over (order by block_height) as previous_adjusted_at
    from {{ ref('stg_mempool__difficulty_adjustments') }}
)

select
    {{ surrogate_key(['dim_asset.asset_key', 'adjustments.block_height']) }} as difficulty_adjustment_key,
    dim_asset.asset_key,
    dim_source.source_key,
    adjustments.block_height,
    adjustments.adjusted_at,
    {{ cast_as('adjustments.adjusted_at', 'date') }} as date_day,
    adjustments.difficulty,
    adjustments.previous_difficulty,
    adjustments.adjustment_ratio,
    adjustments.change_pct,
    {{ days_between('adjustments.previous_adjusted_at', 'adjustments.adjusted_at') }} as days_since_previous
from adjustments
cross join {{ ref('dim_asset') }} as dim_asset
inner join {{ ref('dim_source') }} as dim_source
    on dim_source.source_id = 'mempool_space'
where {{ incremental_window(cast_as('adjustments.adjusted_at', 'date')) }}
