{#- Every KPI row of every family (kpis.md sections 1-10), stacked: one row per kpi_code,
    period_start, segment_type and segment_value. Every int_kpi_rows_<family> model ends
    with kpi_rows_final, so the rows are already typed; columns are listed by name so that
    a family with a different column order fails loudly instead of shifting values.
    The families are listed here (graph.nodes is empty while dbt parses, see DECISIONS.md);
    tests/test_catalogue.py checks the list against seeds/kpi_catalogue.csv. -#}
{%- set families = [
    'revenue_per_employee',
    'cac',
    'ltv',
    'conversion',
    'roi',
    'churn',
    'nps',
    'cost_per_lead',
    'engagement',
    'market_share',
] -%}

with unioned as (

    {%- set branches = [] %}
    {%- for family in families %}
        {%- do branches.append({'from': ref('int_kpi_rows_' ~ family)}) %}
    {%- endfor %}
    {{ union_all_branches(
        columns=[
            'kpi_code', 'period_start', 'period_end', 'period_grain', 'segment_type',
            'segment_value', 'numerator', 'denominator', 'value', 'unit',
            'is_complete_period', 'is_suppressed',
        ],
        branches=branches,
    ) }}

),

final as (

    select
        kpi_code,
        period_start,
        period_end,
        period_grain,
        segment_type,
        segment_value,
        numerator,
        denominator,
        value,
        unit,
        is_complete_period,
        is_suppressed
    from unioned

)

select * from final
