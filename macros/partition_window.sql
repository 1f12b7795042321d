{% macro partition_window_predicate(date_column) -%}
    {#- True for rows whose date lies in the Dagster partition window (inclusive). -#}
    {{ date_column }} between cast('{{ var("partition_start_date") }}' as date)
    and cast('{{ var("partition_end_date") }}' as date)
{%- endmacro %}

{% macro partition_month_bounds() -%}
    {#- (first day of the month of partition_start_date, last day of the month of
        partition_end_date), as YYYY-MM-DD strings: the months a partition window touches. -#}
    {%- set start = var('partition_start_date') | string -%}
    {%- set end = modules.datetime.date.fromisoformat((var('partition_end_date') | string)[:10]) -%}
    {%- set next_month = (end.replace(day=28) + modules.datetime.timedelta(days=4)).replace(day=1) -%}
    {{ return((start[:7] ~ '-01', (next_month - modules.datetime.timedelta(days=1)).isoformat())) }}
{%- endmacro %}

{% macro partition_months_predicate(date_column) -%}
    {#- True for rows whose date (a day or a month's first day) lies in a month the partition
        window touches: what a monthly model recomputes for a partition run. -#}
    {%- set first_day, last_day = partition_month_bounds() -%}
    {{ date_column }} between cast('{{ first_day }}' as date) and cast('{{ last_day }}' as date)
{%- endmacro %}

{% macro is_partition_run() -%}
    {#- An incremental run restricted to a partition window by the vars. -#}
    {{ return(is_incremental() and var('partition_start_date', none) is not none) }}
{%- endmacro %}

{% macro delete_partition_window(date_column, grain='day') -%}
    {{ return(adapter.dispatch('delete_partition_window', 'nyckeltal')(date_column, grain)) }}
{%- endmacro %}

{% macro default__delete_partition_window(date_column, grain='day') -%}
    {#- Pre-hook of a partitioned model: a partition run deletes the rows of its window (grain
        'day': the days of the window; 'month': every month the window touches), any other
        incremental run deletes everything (a full rebuild), then the model inserts them again. -#}
    {%- if is_incremental() -%}
        delete from {{ this }}
        {%- if is_partition_run() %} where
            {%- if grain == 'month' %} {{ partition_months_predicate(date_column) }}
            {%- else %} {{ partition_window_predicate(date_column) }}
            {%- endif %}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{% macro spark__delete_partition_window(date_column, grain='day') -%}
    {#- Spark deletes rows only from Delta tables: a full rebuild truncates the table (any
        format); a partition run deletes its window, which needs file_format delta. -#}
    {%- if is_partition_run() -%}
        {{ default__delete_partition_window(date_column, grain) }}
    {%- elif is_incremental() -%}
        truncate table {{ this }}
    {%- endif -%}
{%- endmacro %}
