{#- on-run-start: the DuckDB file of landed vendor tables (NYCKELTAL_LANDING_DATABASE, passed
    as the var `landing_database` by the vendor mapping step, nyckeltal.vendors), attached
    read-only as `landing`, where the vendor sources read. Nothing without it. -#}
{% macro attach_landing_database() -%}
    {%- set path = var('landing_database', '') -%}
    {%- if target.type == 'duckdb' and path -%}
        attach if not exists '{{ path }}' as landing (read_only);
    {%- endif -%}
{%- endmacro %}
