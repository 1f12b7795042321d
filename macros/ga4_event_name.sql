{#- The event name of a GA4 event name (`column`): renamed by the var `ga4_events` (the map
    NYCKELTAL_GA4_EVENTS gives, GA4 name -> the funnel's name, seeds/funnel_steps.csv),
    else kept as it is. The names are validated at the edge (letters, digits and _). -#}
{% macro ga4_event_name(column) -%}
    {%- set names = var('ga4_events', {}) -%}
    {%- if names -%}
        case {{ column }}
            {%- for ga4_name, name in names.items() %}
            when '{{ ga4_name | replace("'", "''") }}' then '{{ name | replace("'", "''") }}'
            {%- endfor %}
            else {{ column }}
        end
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}
