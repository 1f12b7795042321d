{#- The 12 columns of the KPI row interface, in order (macros/_macros.yml). -#}
{% macro kpi_row_columns() -%}
    {{ return([
        'kpi_code', 'period_start', 'period_end', 'period_grain', 'segment_type',
        'segment_value', 'numerator', 'denominator', 'value', 'unit', 'is_complete_period',
        'is_suppressed',
    ]) }}
{%- endmacro %}
