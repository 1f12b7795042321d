{#- One row per published month: from the month of the earliest event through the as_of
    month (docs/kpis.md#which-periods-and-rows-are-published). -#}
with reporting_window as (

    select as_of_date, first_period_start from {{ ref('int_reporting_window') }}

),

days as (

    select calendar_date, month_start from {{ ref('int_calendar_days') }}

),

months as (

    select distinct days.month_start
    from days

),

final as (

    select
        months.month_start,
        {{ last_day_of_month('months.month_start') }} as month_end,
        cast({{ dbt.dateadd('month', 1, 'months.month_start') }} as date) as next_month_start,
        {{ dbt.datediff(
            'months.month_start', dbt.dateadd('month', 1, 'months.month_start'), 'day'
        ) }} as days_in_month,
        {{ last_day_of_month('months.month_start') }} <= reporting_window.as_of_date
            as is_complete_period
    from months
    cross join reporting_window
    where
        months.month_start >= reporting_window.first_period_start
        and months.month_start <= cast(
            {{ dbt.date_trunc('month', 'reporting_window.as_of_date') }} as date
        )

)

select * from final
