{#- The reporting currency (var reporting_currency) when `unit_column` is 'currency', else
    null: the currency_code of the scorecard and of kpi_definitions. -#}
{% macro currency_code_of(unit_column) -%}
    cast(
        case
            when {{ unit_column }} = 'currency'
                then '{{ var("reporting_currency") | upper }}'
        end as {{ dbt.type_string() }}
    )
{%- endmacro %}
