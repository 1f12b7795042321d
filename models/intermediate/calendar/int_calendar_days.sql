{#- One row per calendar day the warehouse covers (rates, employment, events). -#}
with reporting_window as (

    select calendar_start_date, calendar_end_date from {{ ref('int_reporting_window') }}

),

days as (

    {{ calendar_days('reporting_window', 'calendar_start_date', 'calendar_end_date') }}

),

final as (

    select
        calendar_date,
        cast({{ dbt.date_trunc('month', 'calendar_date') }} as date) as month_start
    from days

)

select * from final
