{#- The forecast tables (int_kpi_forecast_selection, int_kpi_forecast_paths,
    int_kpi_target_outlook_computed) as the insight marts read them. On DuckDB their dbt
    Python models build them: a ref. Elsewhere the refresh writes them between two dbt builds
    (nyckeltal/insights/foresight.py) into schema intermediate; on Spark as Parquet beside
    dbt's tables (NYCKELTAL_SPARK_TABLES_DIR, from nyckeltal/engine/spark.py), read from the
    folder (dbt's Spark metastore does not know them). -#}
{% macro foresight_relation(name) -%}
    {{ return(adapter.dispatch('foresight_relation', 'nyckeltal')(name)) }}
{%- endmacro %}

{% macro duckdb__foresight_relation(name) -%}
    {{ return(ref(name)) }}
{%- endmacro %}

{% macro default__foresight_relation(name) -%}
    {{ return(api.Relation.create(schema='intermediate', identifier=name)) }}
{%- endmacro %}

{% macro spark__foresight_relation(name) -%}
    {#- The default only serves a bare `dbt parse` outside a refresh. -#}
    {%- set tables = env_var('NYCKELTAL_SPARK_TABLES_DIR', 'warehouse/spark/tables') -%}
    {{ return('parquet.`' ~ tables ~ '/intermediate.db/' ~ name ~ '`') }}
{%- endmacro %}
