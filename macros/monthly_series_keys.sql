{#- The series keys of a monthly mart that reads KPI rows (macros/_macros.yml):
    period_start as month_start, period_end as month_end, segment_type, segment_value, each
    qualified by `relation` when one is given. -#}
{% macro monthly_series_keys(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ prefix }}period_start as month_start,
        {{ prefix }}period_end as month_end,
        {{ prefix }}segment_type,
        {{ prefix }}segment_value
{%- endmacro %}
