{% macro partition_window() -%}
    {#- The refresh window, (first day, last day) as YYYY-MM-DD strings, or none for a full
        build: the vars partition_start_date / partition_end_date when given (`dbt build
        --vars ...` by hand), else the environment variables NYCKELTAL_WINDOW_START /
        NYCKELTAL_WINDOW_END a Nyckeltal refresh sets. Read only when a model runs, never
        while dbt parses: a new window leaves dbt's partial parsing valid (new vars would
        re-parse the whole project on every daily refresh). -#}
    {%- set start = var('partition_start_date', none) or env_var('NYCKELTAL_WINDOW_START', '') -%}
    {%- set end = var('partition_end_date', none) or env_var('NYCKELTAL_WINDOW_END', '') -%}
    {{ return(((start | string)[:10], (end | string)[:10]) if start else none) }}
{%- endmacro %}

{% macro partition_window_predicate(date_column) -%}
    {#- True for rows whose date lies in the refresh window (inclusive). -#}
    {%- set first_day, last_day = partition_window() -%}
    {{ date_column }} between cast('{{ first_day }}' as date) and cast('{{ last_day }}' as date)
{%- endmacro %}

{% macro partition_month_bounds() -%}
    {#- (first day of the month of the window's first day, last day of the month of its last
        day), as YYYY-MM-DD strings: the months a refresh window touches. -#}
    {%- set start, last_day = partition_window() -%}
    {%- set end = modules.datetime.date.fromisoformat(last_day) -%}
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
    {#- An incremental run restricted to a refresh window (partition_window). -#}
    {{ return(is_incremental() and partition_window() is not none) }}
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
