{#- A vendor's employee field that a setting names (NYCKELTAL_PERSONIO_*_ATTRIBUTE,
    NYCKELTAL_BAMBOOHR_*_FIELD): its landed column `column` cast to `type`, or a null of
    that type when `column` is empty (the setting unset). Names validated by the settings. -#}
{% macro hr_field(column, type) -%}
    {%- if column -%}
        cast({{ adapter.quote(column) }} as {{ type }})
    {%- else -%}
        cast(null as {{ type }})
    {%- endif -%}
{%- endmacro %}
