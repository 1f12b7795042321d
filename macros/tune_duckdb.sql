{% macro tune_duckdb() -%}
    {#- on-run-start: DuckDB's memory limit, threads and spill folder from the project's
        settings (NYCKELTAL_DUCKDB_*), which a Nyckeltal refresh passes as the JSON object
        NYCKELTAL_DBT_DUCKDB_SETTINGS. Nothing on other engines, or when dbt runs by hand
        without it (DuckDB's defaults: 80 % of the RAM, every core, <warehouse>.tmp). -#}
    {%- set configured = env_var('NYCKELTAL_DBT_DUCKDB_SETTINGS', '') -%}
    {%- if target.type == 'duckdb' and configured -%}
        {%- for name, value in fromjson(configured).items() %}
            set global {{ name }} = '{{ value }}';
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
