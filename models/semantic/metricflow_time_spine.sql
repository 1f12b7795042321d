{#- The MetricFlow time spine: one row per day, a year either side of the warehouse calendar
    (market periods and campaign windows may start before the first event or end after as_of). -#}
with reporting_window as (

    select
        {{ dbt.dateadd('year', -1, 'calendar_start_date') }} as spine_start_date,
        {{ dbt.dateadd('year', 1, 'calendar_end_date') }} as spine_end_date
    from {{ ref('int_reporting_window') }}

),

days as (

    {{ calendar_days('reporting_window', 'spine_start_date', 'spine_end_date') }}

),

final as (

    select cast(calendar_date as date) as date_day
    from days

)

select * from final
