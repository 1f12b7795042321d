{#- The funnel steps of the seed funnel_steps, numbered (macros/_macros.yml): step_number is
    the row number of step_order, so that step k-1 is always step_number - 1 even if the
    seed's step_order has gaps; step_count is the number of steps (the goal is the last). -#}
{% macro numbered_funnel_steps() -%}
    select
        step_order,
        step_name,
        event_name,
        row_number() over (order by step_order) as step_number,
        count(*) over () as step_count
    from {{ ref('funnel_steps') }}
{%- endmacro %}
