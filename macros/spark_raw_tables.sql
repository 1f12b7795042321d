{#- On Spark, `nyckeltal load` writes each raw table as Parquet under
    <NYCKELTAL_SPARK_DIR>/raw/<schema>/<table>; every dbt run (on-run-start) registers those
    folders as the source tables, so the same sources work on each engine. The other engines
    hold the raw tables themselves: nothing to do there. -#}
{% macro register_raw_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables', 'nyckeltal')()) }}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- if execute -%}
        {%- set raw_dir = env_var('NYCKELTAL_SPARK_DIR', 'warehouse/spark') ~ '/raw' -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set relation = source.schema ~ '.' ~ source.name -%}
            {% call statement('register_' ~ source.schema ~ '_' ~ source.name) -%}
                create schema if not exists {{ source.schema }}
            {%- endcall %}
            {% call statement('drop_' ~ source.schema ~ '_' ~ source.name) -%}
                drop table if exists {{ relation }}
            {%- endcall %}
            {% call statement('create_' ~ source.schema ~ '_' ~ source.name) -%}
                create table {{ relation }} using parquet
                location '{{ raw_dir }}/{{ source.schema }}/{{ source.name }}'
            {%- endcall %}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
