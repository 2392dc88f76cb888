{#- The daily on-chain spine: one row per UTC day from the first to the last on-chain observation, with
    blockchain.com charts pivoted to columns, mempool.space hash rate and per-day block aggregates, and the
    difficulty in force (chart value, else the last adjustment at or before that day). Missing values stay NULL.
    Incremental: rebuilds the days of the trailing lookback window from the staging rows of those days
    (the difficulty in force from every adjustment: a few hundred rows). -#}
{% if target.type == 'bigquery' %}
{{ config(materialized='incremental', unique_key='date_day',
          partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'month'},
          incremental_predicates=merge_window_predicates('date_day', 'date')) }}
{% else %}
{{ config(materialized='incremental', unique_key='date_day') }}
{% endif %}
{%- set window = fact_window('date_day') %}
with charts as (
    select
        observed_date as date_day,
        max(case when chart_name = 'n-transactions' then metric_value end) as transaction_count,
        max(case when chart_name = 'n-unique-addresses' then metric_value end) as active_addresses,
        max(case when chart_name = 'estimated-transaction-volume-usd' then metric_value end) as transaction_volume_usd,
        max(case when chart_name = 'output-volume' then metric_value end) as output_volume_btc,
        max(case when chart_name = 'hash-rate' then metric_value end) as hash_rate_ehs_blockchain_com,
        max(case when chart_name = 'difficulty' then metric_value end) as difficulty_blockchain_com
    from {{ ref('stg_blockchain__charts') }}
    where {{ incremental_window('observed_date', window=window) }}
    group by observed_date
),

mempool_hashrate as (
    select observed_date as date_day, hash_rate_ehs as hash_rate_ehs_mempool
    from {{ ref('stg_mempool__hashrate') }}
    where {{ incremental_window('observed_date', window=window) }}
),

blocks as (
    select
        {{ cast_as('mined_at', 'date') }} as date_day,
        count(*) as blocks_mined,
        sum(transaction_count) as block_transaction_count,
        sum(total_fees_btc) as total_fees_btc,
        max(block_height) as last_block_height
    from {{ ref('stg_mempool__blocks') }}
    where {{ incremental_window('mined_at', type_name='timestamp', window=window) }}
    group by {{ cast_as('mined_at', 'date') }}
),

bounds as (
    select min(date_day) as first_day, max(date_day) as last_day
    from (
        select date_day from charts
        union all select date_day from mempool_hashrate
        union all select date_day from blocks
    ) as observed
),

spine as (
    {{ date_spine('select first_day from bounds', 'select last_day from bounds') }}
),

adjustments as (
    select
        {{ cast_as('adjusted_at', 'date') }} as effective_date,
        difficulty,
        row_number() over (partition by {{ cast_as('adjusted_at', 'date') }} order by block_height desc) as rank_last
    from {{ ref('stg_mempool__difficulty_adjustments') }}
),

difficulty_in_force as (
    select
        spine.date_day,
        adjustments.difficulty,
        row_number() over (partition by spine.date_day order by adjustments.effective_date desc) as rank_latest
    from spine
    inner join adjustments
        on adjustments.effective_date <= spine.date_day
       and adjustments.rank_last = 1
)

select
    spine.date_day,
    charts.transaction_count,
    charts.active_addresses,
    charts.transaction_volume_usd,
    charts.output_volume_btc,
    coalesce(mempool_hashrate.hash_rate_ehs_mempool, charts.hash_rate_ehs_blockchain_com) as hash_rate_ehs,
    mempool_hashrate.hash_rate_ehs_mempool,
    charts.hash_rate_ehs_blockchain_com,
    coalesce(charts.difficulty_blockchain_com, difficulty_in_force.difficulty) as difficulty,
    blocks.blocks_mined,
    blocks.block_transaction_count,
    blocks.total_fees_btc,
    blocks.last_block_height
from spine
left join charts on charts.date_day = spine.date_day
left join mempool_hashrate on mempool_hashrate.date_day = spine.date_day
left join blocks on blocks.date_day = spine.date_day
left join difficulty_in_force
    on difficulty_in_force.date_day = spine.date_day
   and difficulty_in_force.rank_latest = 1
