{{ config(alias='employees') }}
{#- Attribute keys validated by the settings (letters, digits, underscores). -#}
{%- set id_attribute = var('personio_employee_id_attribute', 'id') %}
{%- set product_line_attribute = var('personio_product_line_attribute', '') %}
{%- set full_time_hours = var('personio_full_time_hours', 40) | float %}

with employees as (

    select
        {{ hr_field(id_attribute, dbt.type_string()) }} as employee_id,
        department,
        {{ hr_field(product_line_attribute, dbt.type_string()) }} as product_line,
        cast(hire_date as date) as hire_date,
        cast(termination_date as date) as termination_date,
        cast(last_working_day as date) as last_working_day,
        {{ dbt.safe_cast(
            "replace(trim(weekly_working_hours), ',', '.')", dbt.type_float()
        ) }} as weekly_hours
    from {{ source('personio_dlt', 'employees') }}

),

final as (

    select
        employee_id,
        {{ hr_department('department') }} as department,
        nullif(trim(product_line), '') as product_line,
        hire_date as hired_on,
        coalesce(last_working_day, termination_date) as terminated_on,
        cast(
            case
                when weekly_hours >= {{ full_time_hours }} then 1
                else round(weekly_hours / {{ full_time_hours }}, 4)
            end as decimal(6, 4)
        ) as fte,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from employees

)

select
    employee_id,
    department,
    product_line,
    hired_on,
    terminated_on,
    fte,
    _loaded_at
from final
