{#- The target outlook (int_kpi_target_outlook_computed; docs/insights.md). -#}
with computed as (
    select {{ yaml_columns() }}
    from {{ ref('int_kpi_target_outlook_computed') }}
),

final as (
    select {{ yaml_columns() }}
    from computed
)

select * from final
