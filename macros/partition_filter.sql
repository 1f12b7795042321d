{#- The where clause of a partitioned model's import CTE: on a partition run, only the rows
    of the window (grain 'day') or of the months it touches (grain 'month'); else nothing. -#}
{% macro partition_filter(date_column, grain='day') -%}
    {%- if is_partition_run() -%}
        where
        {%- if grain == 'month' %} {{ partition_months_predicate(date_column) }}
        {%- else %} {{ partition_window_predicate(date_column) }}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
