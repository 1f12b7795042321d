{#- The column `column_name` of the landed table `relation` (a source()) when the table has
    it, else the SQL `fallback`: for columns an extract-load tool documents but a landing may
    lack (Fivetran's _fivetran_active, Facebook's timezone_offset_hours_utc). The columns the
    mapping cannot do without are checked before dbt runs (nyckeltal.vendor_layouts). -#}
{% macro landed_column(relation, column_name, fallback) -%}
    {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list if execute else [] -%}
    {%- if column_name | lower in present -%}
        {{ adapter.quote(column_name) }}
    {%- else -%}
        {{ fallback }}
    {%- endif -%}
{%- endmacro %}
