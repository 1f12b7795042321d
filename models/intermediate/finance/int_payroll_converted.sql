{#- One row per employee and pay month: the employer's payroll cost (gross salary +
    employer costs) in the reporting currency at the rate of pay_month, attributed to the
    employee's department (hr.employees.department). -#}
with payroll as (

    select employee_id, pay_month, gross_salary, employer_costs, currency
    from {{ ref('stg_hr__payroll') }}

),

employees as (

    select employee_id, department, product_line from {{ ref('stg_hr__employees') }}

),

final as (

    select
        payroll.employee_id,
        payroll.pay_month,
        employees.department,
        employees.product_line,
        {{ converted_money(
            'payroll', 'payroll_cost', expression='payroll.gross_salary + payroll.employer_costs'
        ) }}
    from payroll
    left join employees
        on payroll.employee_id = employees.employee_id
    {{ join_fx_rate('payroll', 'payroll.pay_month') }}

)

select * from final
