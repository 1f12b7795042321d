{#- The target outlook (int_kpi_target_outlook_computed; docs/insights.md): a dbt Python
    model on DuckDB, the refresh elsewhere (macros/foresight_relation.sql). -#}
-- depends_on: {{ ref('kpi_scorecard') }}
with computed as (
    select {{ yaml_columns() }}
    from {{ foresight_relation('int_kpi_target_outlook_computed') }}
),

final as (
    select {{ yaml_columns() }}
    from computed
)

select * from final
