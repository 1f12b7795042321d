{#- The contract department of an HR system's department name `column`: the name as
    NYCKELTAL_HR_DEPARTMENTS maps it (the var `hr_departments`, {trimmed lower-case name:
    department}, nyckeltal.vendors), else the name trimmed, in lower case, with spaces and
    hyphens as underscores when that is a contract department (the var
    `hr_contract_departments`: `Customer Success` is customer_success), else the name as it
    is, which the raw_hr.employees suite then reports (not one of the departments). -#}
{% macro hr_department(column) -%}
    {%- set key = 'lower(trim(' ~ column ~ '))' -%}
    {%- set normalised = "replace(replace(" ~ key ~ ", ' ', '_'), '-', '_')" -%}
    case
        {%- for name, department in var('hr_departments', {}).items() %}
            when {{ key }} = '{{ name }}' then '{{ department }}'
        {%- endfor %}
        when {{ normalised }} in (
            '{{ var('hr_contract_departments', []) | join("', '") }}'
        ) then {{ normalised }}
        else {{ column }}
    end
{%- endmacro %}
