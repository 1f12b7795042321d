{% macro last_day_of_month(date_expression) -%}
    {#- The last calendar day of the month of date_expression, portable. -#}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', date_expression))) }} as date)
{%- endmacro %}
