{#- GA4's BigQuery export as landed (docs/sources.md "GA4"), as the subquery the mapping of
    models/sources/ga4/bigquery reads: the table `events` of the schema NYCKELTAL_GA4_SCHEMA
    (var `ga4_schema`, in the landing file when NYCKELTAL_LANDING_DATABASE is set), else every
    daily shard `events_YYYYMMDD` of it, unioned. The nested columns (event_params,
    collected_traffic_source) come as JSON whatever they were landed as (STRUCT and LIST,
    JSON, or JSON text); one a table lacks is null. DuckDB (information_schema, JSON). -#}
{% macro ga4_landed_events() -%}
    {%- set landing = var('landing_database', '') -%}
    {%- set schema = var('ga4_schema', 'ga4') -%}
    {%- set tables = {} -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select table_name, lower(column_name) from information_schema.columns"
            ~ " where table_catalog = " ~ ("'landing'" if landing else "current_database()")
            ~ " and table_schema = '" ~ schema | replace("'", "''") ~ "'"
            ~ " and regexp_full_match(table_name, 'events(_[0-9]{8})?')"
        ) -%}
        {%- for row in found.rows -%}
            {%- do tables.setdefault(row[0], []).append(row[1]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set names = ['events'] if 'events' in tables else tables | list | sort -%}
    {%- for name in names %}
        select
            cast(event_timestamp as bigint) as event_timestamp,
            cast(event_name as varchar) as event_name,
            cast(user_pseudo_id as varchar) as user_pseudo_id,
            {%- for column in ['event_params', 'collected_traffic_source'] %}
            cast({{ column if column in tables[name] else 'null' }} as json) as {{ column }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ 'landing.' if landing }}{{ adapter.quote(schema) }}.{{ adapter.quote(name) }}
        {% if not loop.last %}union all{% endif %}
    {%- else %}
        select
            cast(null as bigint) as event_timestamp,
            cast(null as varchar) as event_name,
            cast(null as varchar) as user_pseudo_id,
            cast(null as json) as event_params,
            cast(null as json) as collected_traffic_source
        where 1 = 0
    {%- endfor %}
{%- endmacro %}
