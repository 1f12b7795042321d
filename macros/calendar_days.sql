{% macro calendar_days(bounds_relation, start_column, end_column) -%}
    {{ return(adapter.dispatch('calendar_days', 'nyckeltal')(bounds_relation, start_column, end_column)) }}
{%- endmacro %}

{% macro default__calendar_days(bounds_relation, start_column, end_column) -%}
    {#- One row per date from start to end (inclusive) of the single row of bounds_relation.
        generate_series works on DuckDB and PostgreSQL. -#}
    select cast(days.day_at as date) as calendar_date
    from {{ bounds_relation }} as bounds,
        generate_series(
            cast(bounds.{{ start_column }} as {{ dbt.type_timestamp() }}),
            cast(bounds.{{ end_column }} as {{ dbt.type_timestamp() }}),
            interval '1 day'
        ) as days (day_at)
{%- endmacro %}

{% macro spark__calendar_days(bounds_relation, start_column, end_column) -%}
    select explode(sequence(
        cast(bounds.{{ start_column }} as date),
        cast(bounds.{{ end_column }} as date),
        interval 1 day
    )) as calendar_date
    from {{ bounds_relation }} as bounds
{%- endmacro %}
