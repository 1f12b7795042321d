{#- The rows of the ephemeral model `<platform>__<model_suffix>` of every ad platform
    NYCKELTAL_ADS_SOURCE names (the var `ads_source`: google_ads:fivetran is
    google_ads_fivetran__<model_suffix>), their `columns`, one `union all` in the order of
    the setting: models/sources/ads reads the platforms through it. -#}
{% macro ads_union(model_suffix, columns) -%}
    {%- set platforms = [] -%}
    {%- for layout in var('ads_source', 'files').split('+') if ':' in layout -%}
        {%- do platforms.append(layout | replace(':', '_')) -%}
    {%- endfor -%}
    {%- for platform in platforms %}
        select {{ columns | join(', ') }}
        from {{ ref(platform ~ '__' ~ model_suffix) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
