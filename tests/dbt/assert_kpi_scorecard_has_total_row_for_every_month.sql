{#- Every monthly KPI of seeds/kpi_catalogue.csv (grain month, and the ttm KPIs published
    every month, with a total segment) has a total/all row in the scorecard for every
    published month of int_calendar_months. Fails with one row per missing (kpi_code, month). -#}
with published_months as (

    select month_start from {{ ref('int_calendar_months') }}

),

kpi_catalogue as (

    select kpi_code, period_grains, segment_types from {{ ref('kpi_catalogue') }}

),

{# The catalogue's KPIs published monthly (grain month or ttm) with a total/all row. #}
monthly_kpi_codes as (

    select kpi_code
    from kpi_catalogue
    where
        {{ dbt.concat(["' '", 'segment_types', "' '"]) }} like '% total %'
        and (
            {{ dbt.concat(["' '", 'period_grains', "' '"]) }} like '% month %'
            or {{ dbt.concat(["' '", 'period_grains', "' '"]) }} like '% ttm %'
        )

),

total_rows as (

    select
        kpi_code,
        period_start
    from {{ ref('kpi_scorecard') }}
    where segment_type = 'total' and segment_value = 'all'

),

expected_rows as (

    select
        monthly_kpi_codes.kpi_code,
        published_months.month_start
    from monthly_kpi_codes
    cross join published_months

),

final as (

    select
        expected_rows.kpi_code,
        expected_rows.month_start
    from expected_rows
    left join total_rows
        on
            expected_rows.kpi_code = total_rows.kpi_code
            and expected_rows.month_start = total_rows.period_start
    where total_rows.kpi_code is null

)

select * from final
