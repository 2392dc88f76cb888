{#- dbt's cross-database date macros (the `dbt` namespace). Each one dispatches, so a project's
    `<adapter>__name` or `default__name` takes over, as in dbt; the SQL per warehouse is the SQL
    dbt-duckdb 1.10 and dbt-bigquery 1.10 produce. -#}

{% macro date_trunc(datepart, date) -%}
    {{ return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) }}
{%- endmacro %}

{% macro default__date_trunc(datepart, date) -%}
    date_trunc('{{ datepart }}', {{ date }})
{%- endmacro %}

{% macro bigquery__date_trunc(datepart, date) -%}
    timestamp_trunc(cast({{ date }} as timestamp), {{ datepart }})
{%- endmacro %}


{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}

{% macro default__dateadd(datepart, interval, from_date_or_timestamp) -%}
    dateadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}

{#- DuckDB multiplies a one-unit interval, so the amount may be any expression; it has no quarter or
    week unit here, so those become 3 months and 7 days. -#}
{% macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set unit = datepart | lower -%}
    {%- set amount = 'cast(' ~ interval ~ ' as bigint)' -%}
    {%- if unit == 'quarter' -%}
        ({{ from_date_or_timestamp }} + ({{ amount }} * 3) * interval 1 month)
    {%- elif unit == 'week' -%}
        ({{ from_date_or_timestamp }} + ({{ amount }} * 7) * interval 1 day)
    {%- else -%}
        ({{ from_date_or_timestamp }} + {{ amount }} * interval 1 {{ unit }})
    {%- endif -%}
{%- endmacro %}

{% macro bigquery__dateadd(datepart, interval, from_date_or_timestamp) -%}
    datetime_add(cast({{ from_date_or_timestamp }} as datetime), interval {{ interval }} {{ datepart }})
{%- endmacro %}


{% macro datediff(first_date, second_date, datepart) -%}
    {{ return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) }}
{%- endmacro %}

{% macro default__datediff(first_date, second_date, datepart) -%}
    datediff({{ datepart }}, {{ first_date }}, {{ second_date }})
{%- endmacro %}

{#- Weeks are counted as boundaries crossed (Sunday-based), like the other warehouses. -#}
{% macro duckdb__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'week' -%}
        ({{ datediff(first_date, second_date, 'day') }} // 7 + case
            when date_part('dow', ({{ first_date }})::timestamp) <= date_part('dow', ({{ second_date }})::timestamp)
                then case when {{ first_date }} <= {{ second_date }} then 0 else -1 end
            else case when {{ first_date }} <= {{ second_date }} then 1 else 0 end
        end)
    {%- else -%}
        (date_diff('{{ datepart }}', {{ first_date }}::timestamp, {{ second_date }}::timestamp))
    {%- endif -%}
{%- endmacro %}

{% macro bigquery__datediff(first_date, second_date, datepart) -%}
    datetime_diff(cast({{ second_date }} as datetime), cast({{ first_date }} as datetime), {{ datepart }})
{%- endmacro %}


{% macro last_day(date, datepart) -%}
    {{ return(adapter.dispatch('last_day', 'dbt')(date, datepart)) }}
{%- endmacro %}

{#- The day before the start of the next period. -#}
{% macro default_last_day(date, datepart) -%}
    {%- set next_period = dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date)) -%}
    cast({{ dbt.dateadd('day', '-1', next_period) }} as date)
{%- endmacro %}

{% macro default__last_day(date, datepart) -%}
    {{ dbt.default_last_day(date, datepart) }}
{%- endmacro %}

{% macro duckdb__last_day(date, datepart) -%}
    {%- if datepart == 'quarter' -%}
        {%- set next_quarter = dbt.dateadd('month', '3', dbt.date_trunc(datepart, date)) -%}
        cast({{ dbt.dateadd('day', '-1', next_quarter) }} as date)
    {%- else -%}
        {{ dbt.default_last_day(date, datepart) }}
    {%- endif -%}
{%- endmacro %}


{% macro date(year, month, day) -%}
    {{ return(adapter.dispatch('date', 'dbt')(year, month, day)) }}
{%- endmacro %}

{% macro default__date(year, month, day) -%}
    to_date('{{ modules.datetime.date(year, month, day).strftime('%Y-%m-%d') }}', 'YYYY-MM-DD')
{%- endmacro %}

{% macro bigquery__date(year, month, day) -%}
    date({{ year }}, {{ month }}, {{ day }})
{%- endmacro %}


{% macro current_timestamp() -%}
    {{ return(adapter.dispatch('current_timestamp', 'dbt')()) }}
{%- endmacro %}

{% macro default__current_timestamp() -%}
    {{ exceptions.raise_not_implemented('current_timestamp macro not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__current_timestamp() -%}
    now()
{%- endmacro %}

{% macro bigquery__current_timestamp() -%}
    current_timestamp()
{%- endmacro %}
