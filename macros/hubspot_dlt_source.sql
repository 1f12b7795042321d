{#- A table `nyckeltal ingest hubspot` landed (source `hubspot_dlt`), as a subquery of
    `columns` (dlt column name -> contract type; macro dlt_landed_table: an absent table is an
    empty subquery, an absent column a typed null). With `properties=true`, the columns
    properties__<name> of the properties NYCKELTAL_HUBSPOT_PROPERTIES selects too (text). -#}
{% macro hubspot_dlt_source(table_name, columns, properties=false) -%}
    {%- set wanted = {} -%}
    {%- do wanted.update(columns) -%}
    {%- if properties -%}
        {%- for name in var('hubspot_properties', {}).values() -%}
            {%- do wanted.update({'properties__' ~ name: 'varchar'}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ dlt_landed_table(source('hubspot_dlt', table_name), wanted) }}
{%- endmacro %}
