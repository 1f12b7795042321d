{#- How a mart reads one KPI of an int_kpi_rows_<family> model: its series keys, the three
    measures under the mart's names, and is_complete_period. -#}
{% macro select_kpi_rows(
    model_name,
    kpi_code,
    numerator='numerator',
    denominator='denominator',
    value='value',
    where=none,
    keys=['period_start', 'period_end', 'segment_type', 'segment_value']
) -%}
    select
        {% for key in keys -%}
        {{ key }},
        {% endfor -%}
        numerator as {{ numerator }},
        denominator as {{ denominator }},
        value as {{ value }},
        is_complete_period
    from {{ ref(model_name) }}
    where kpi_code = '{{ kpi_code }}'{{ ' and ' ~ where if where }}
{%- endmacro %}
