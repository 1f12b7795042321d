{#- One row per calendar day, department and product line (null when the employees have
    none) with at least one active employee: the sum of `fte` of the employees active that
    day. Employee active on day d: hired_on <= d and (terminated_on is null or
    d <= terminated_on); terminated_on is the last day worked
    (docs/kpis.md#conventions-that-apply-to-every-kpi). -#}
with calendar_days as (

    select calendar_date, month_start from {{ ref('int_calendar_days') }}

),

employees as (

    select employee_id, department, product_line, hired_on, terminated_on, fte
    from {{ ref('stg_hr__employees') }}

),

employee_days as (

    select
        calendar_days.calendar_date,
        calendar_days.month_start,
        employees.department,
        employees.product_line,
        employees.employee_id,
        employees.fte
    from calendar_days
    inner join employees
        on
            calendar_days.calendar_date >= employees.hired_on
            and (
                employees.terminated_on is null
                or calendar_days.calendar_date <= employees.terminated_on
            )

),

final as (

    select
        calendar_date,
        month_start,
        department,
        product_line,
        count(employee_id) as active_employees,
        sum(fte) as fte
    from employee_days
    group by calendar_date, month_start, department, product_line

)

select * from final
