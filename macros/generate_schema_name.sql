{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Use the configured schema name as is (staging, intermediate, marts) so that BI tools
        see stable names such as marts.kpi_scorecard, whatever the target's base schema. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
