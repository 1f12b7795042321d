{#- The target outlook (int_kpi_target_outlook_computed; docs/insights.md). -#}
{%- set columns = [
    'kpi_code',
    'segment_type',
    'segment_value',
    'period_grain',
    'outlook_period',
    'period_start',
    'period_end',
    'target_value',
    'direction',
    'expected_value',
    'expected_sd',
    'probability_on_target',
    'method',
    'value_so_far',
    'elapsed_share',
    'outlook_state',
    'impact_score',
    'outlook_text',
] -%}

with computed as (
    select {{ columns | join(', ') }}
    from {{ ref('int_kpi_target_outlook_computed') }}
),

final as (
    select {{ columns | join(', ') }}
    from computed
)

select * from final
