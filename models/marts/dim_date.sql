{#- One row per calendar day from var('dim_date_start') (the genesis block) to var('dim_date_future_days')
    past today, so every fact's date_day has a row. ISO weeks start on Monday; GitHub weeks on Sunday. -#}
with spine as (
    {{ date_spine("'" ~ var('dim_date_start') ~ "'", add_days(cast_as(now_utc(), 'date'), var('dim_date_future_days'))) }}
)

select
    date_day,
    {{ cast_as("extract(year from date_day) * 10000 + extract(month from date_day) * 100 + extract(day from date_day)", 'int') }} as date_key,
    {{ cast_as('extract(year from date_day)', 'int') }} as year_number,
    {{ cast_as('extract(quarter from date_day)', 'int') }} as quarter_number,
    {{ cast_as('extract(month from date_day)', 'int') }} as month_number,
    {{ cast_as('extract(day from date_day)', 'int') }} as day_of_month,
    {{ iso_day_of_week('date_day') }} as iso_day_of_week,
    {{ iso_day_of_week('date_day') }} >= 6 as is_weekend,
    {{ trunc_date('week', 'date_day') }} as iso_week_start_date,
    {{ trunc_date('week_sunday', 'date_day') }} as sunday_week_start_date,
    {{ trunc_date('month', 'date_day') }} as month_start_date
from spine
