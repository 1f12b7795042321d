{#- One row per published month and NPS segment (pivot of int_kpi_rows_nps). -#}
with nps_kpi_rows as (

    {{ select_kpi_rows('int_kpi_rows_nps', 'nps') }}

),

final as (

    select
        {{ monthly_series_keys() }},
        cast(denominator as {{ dbt.type_bigint() }}) as responses,
        cast(numerator as {{ dbt.type_bigint() }}) as net_promoters,
        value as net_promoter_score,
        is_complete_period
    from nps_kpi_rows

)

select * from final
