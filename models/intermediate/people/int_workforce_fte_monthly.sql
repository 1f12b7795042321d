{#- One row per published month, department and product line (null when the employees have
    none) with FTE on at least one day of the month. The average FTE is the mean over ALL
    calendar days of the month of the daily FTE: days with nobody active count as 0. -#}
with calendar_months as (

    select month_start, month_end, days_in_month from {{ ref('int_calendar_months') }}

),

fte_daily as (

    select month_start, department, product_line, fte from {{ ref('int_workforce_fte_daily') }}

),

fte_days_monthly as (

    select
        month_start,
        department,
        product_line,
        sum(fte) as fte_days
    from fte_daily
    group by month_start, department, product_line

),

final as (

    select
        calendar_months.month_start,
        calendar_months.month_end,
        fte_days_monthly.department,
        fte_days_monthly.product_line,
        calendar_months.days_in_month,
        fte_days_monthly.fte_days,
        cast(fte_days_monthly.fte_days as {{ type_double() }})
        / calendar_months.days_in_month as average_fte
    from calendar_months
    inner join fte_days_monthly
        on calendar_months.month_start = fte_days_monthly.month_start
    where fte_days_monthly.fte_days > 0

)

select * from final
