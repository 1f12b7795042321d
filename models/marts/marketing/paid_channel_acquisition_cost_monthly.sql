{#- One row per published month and paid channel (a channel with at least one campaign)
    that had ad spend or acquisitions in the month: the cac_paid channel rows of
    int_kpi_rows_cac. -#}
with cac_paid_rows as (

    {{ select_kpi_rows('int_kpi_rows_cac', 'cac_paid', where="segment_type = 'channel'") }}

),

final as (

    select
        period_start as month_start,
        period_end as month_end,
        segment_value as channel,
        numerator as ad_spend,
        cast(denominator as {{ dbt.type_bigint() }}) as customers_acquired,
        value as cac_paid,
        is_complete_period
    from cac_paid_rows

)

select * from final
