{#- Every KPI row of every family (docs/kpis.md), stacked: one row per kpi_code,
    period_start, segment_type and segment_value, in the int_kpi_rows_<family> interface.
    Columns are listed explicitly so that a family with a different column order fails
    loudly instead of shifting values. -#}
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

with
{% for family in families %}
    kpi_rows_{{ family }} as (

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
        from {{ ref('int_kpi_rows_' ~ family) }}

    ),
{% endfor %}

unioned as (

    {% for family in families %}
        select
            cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
            cast(period_start as date) as period_start,
            cast(period_end as date) as period_end,
            cast(period_grain as {{ dbt.type_string() }}) as period_grain,
            cast(segment_type as {{ dbt.type_string() }}) as segment_type,
            cast(segment_value as {{ dbt.type_string() }}) as segment_value,
            cast(numerator as double precision) as numerator,
            cast(denominator as double precision) as denominator,
            cast(value as double precision) as value,
            cast(unit as {{ dbt.type_string() }}) as unit,
            cast(is_complete_period as boolean) as is_complete_period,
            cast(is_suppressed as boolean) as is_suppressed
        from kpi_rows_{{ family }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

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
