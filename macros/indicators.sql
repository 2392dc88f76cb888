{#- Exponential averages (EMA, Wilder's smoothing) without recursion, identical on DuckDB and BigQuery.

    The recurrence  v[s] = mean(x[first .. s])  (the seed, s = first + seed_length - 1),
                    v[t] = alpha * x[t] + (1 - alpha) * v[t-1]   for t > s
    unrolls to the closed form  v[t] = (1-alpha)^(t-s) * v[s] + sum_{s<i<=t} alpha * (1-alpha)^(t-i) * x[i],
    which is what this computes with a bounded self-join. Terms older than var('ema_max_lookback') periods
    are dropped: with the default 1200 their weight is below 1e-30 (e.g. (13/14)^1200 ~ 3e-39 for RSI-14),
    far under double precision, so the result equals the recursion to floating-point rounding. A recursive
    CTE is avoided because BigQuery caps recursion depth (500 iterations) well below a price history.

    The same form continues a stored series: with `state_cte` (0 or 1 row of seed_idx, seed_value: the last
    stored index and its value) s is that row, so an incremental run joins only the rows after it, O(new²)
    for a handful of new days instead of O(days x lookback); with no stored row it falls back to the seed.

    series_cte: a CTE with columns idx (consecutive integers, no gaps) and x (non-NULL values).
    Returns a SELECT of (idx, value), with rows only from the seed index on (too short a series: no rows). -#}
{% macro exponential_average(series_cte, alpha, seed_length, state_cte=none) -%}
  {%- set lookback = var('ema_max_lookback') -%}
  select
      t.idx,
      max(case when t.idx - seed.seed_idx < {{ lookback }}
               then seed.seed_value * pow(1 - ({{ alpha }}), t.idx - seed.seed_idx) else 0 end)
      + sum(case when i.idx > seed.seed_idx
                 then ({{ alpha }}) * pow(1 - ({{ alpha }}), t.idx - i.idx) * i.x else 0 end) as value
  from {{ series_cte }} as t
  inner join (
      {%- if state_cte %}
      select seed_idx, seed_value from {{ state_cte }}
      union all
      {%- endif %}
      select
          bounds.first_idx + {{ seed_length }} - 1 as seed_idx,
          avg(s.x) as seed_value
      from {{ series_cte }} as s
      cross join (select min(idx) as first_idx from {{ series_cte }}) as bounds
      where s.idx <= bounds.first_idx + {{ seed_length }} - 1
      {%- if state_cte %}
        and not exists (select 1 from {{ state_cte }})
      {%- endif %}
      group by bounds.first_idx
      having count(*) = {{ seed_length }}
  ) as seed
      on t.idx >= seed.seed_idx
  inner join {{ series_cte }} as i
      on i.idx >= seed.seed_idx
     and i.idx <= t.idx
     and i.idx > t.idx - {{ lookback }}
  group by t.idx
{%- endmacro %}

{#- Simple moving average of `column` over the last n rows ordered by `order_by`; NULL until n rows exist. -#}
{% macro simple_moving_average(column, n, order_by) -%}
  case
      when count({{ column }}) over (order by {{ order_by }} rows between {{ n - 1 }} preceding and current row) = {{ n }}
      then avg({{ column }}) over (order by {{ order_by }} rows between {{ n - 1 }} preceding and current row)
  end
{%- endmacro %}
