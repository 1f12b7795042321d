with source as (

    select * from {{ source('hr', 'payroll') }}

),

renamed as (

    select
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(pay_month as date) as pay_month,
        cast(gross_salary as decimal(18, 4)) as gross_salary,
        cast(employer_costs as decimal(18, 4)) as employer_costs,
        upper(cast(currency as {{ dbt.type_string() }})) as currency
    from source

)

select * from renamed
