{{ config(materialized='ephemeral') }}

{#- The scorecard rows the insights compare: complete, not suppressed, with a value; each
    numbered within its series (kpi_code, segment, period_grain) in time order. -#}
select
    kpi_code,
    segment_type,
    segment_value,
    period_grain,
    period_start,
    period_end,
    denominator,
    value,
    unit,
    row_number() over (
        partition by kpi_code, segment_type, segment_value, period_grain
        order by period_start
    ) as period_number
from {{ ref('kpi_scorecard') }}
where is_complete_period and not is_suppressed and value is not null
