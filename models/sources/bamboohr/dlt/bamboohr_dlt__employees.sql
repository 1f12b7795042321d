{{ config(alias='employees') }}
{#- Landed column names of the fields the settings name (nyckeltal.vendors.bamboohr_vars). -#}
{%- set id_column = var('bamboohr_employee_id_column', 'id') %}
{%- set product_line_column = var('bamboohr_product_line_column', '') %}
{%- set fte_column = var('bamboohr_fte_column', '') %}
{%- set fte_number = dbt.safe_cast("replace(fte_text, ',', '.')", dbt.type_float()) %}

with landed as (

    {#- The fields the settings name, under fixed names. -#}
    select
        {{ hr_field(id_column, dbt.type_string()) }} as employee_id,
        {{ hr_field(product_line_column, dbt.type_string()) }} as product_line,
        nullif(trim({{ hr_field(fte_column, dbt.type_string()) }}), '') as fte_text,
        replace(lower(trim(employment_history_status)), ' ', '-') as employment_status,
        department,
        hire_date,
        termination_date
    from {{ source('bamboohr_dlt', 'employees') }}

)

select
    employee_id,
    {{ hr_department('department') }} as department,
    nullif(trim(product_line), '') as product_line,
    cast(hire_date as date) as hired_on,
    cast(termination_date as date) as terminated_on,
    {#- The FTE field when it holds a value (not a number, or too large a one such as a
        percentage: null, which the raw suite reports), else Full-Time's 1. -#}
    {{ dbt.safe_cast(
        "case when fte_text is not null then round(" ~ fte_number ~ ", 4)"
        ~ " when employment_status = 'full-time' then 1 end",
        "decimal(6, 4)"
    ) }} as fte,
    cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
from landed
