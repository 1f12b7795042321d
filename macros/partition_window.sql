{% macro partition_window_predicate(date_column) -%}
    {#- True for rows whose date lies in the Dagster partition window (inclusive). -#}
    {{ date_column }} between cast('{{ var("partition_start_date") }}' as date)
    and cast('{{ var("partition_end_date") }}' as date)
{%- endmacro %}

{% macro is_partition_run() -%}
    {#- An incremental run restricted to a partition window by the vars. -#}
    {{ return(is_incremental() and var('partition_start_date', none) is not none) }}
{%- endmacro %}

{% macro delete_partition_window(date_column) -%}
    {{ return(adapter.dispatch('delete_partition_window', 'nyckeltal')(date_column)) }}
{%- endmacro %}

{% macro default__delete_partition_window(date_column) -%}
    {#- Pre-hook of a daily-partitioned fact: a partition run deletes the rows of its window,
        any other incremental run deletes everything (a full rebuild), then the model
        inserts them again from staging. -#}
    {%- if is_incremental() -%}
        delete from {{ this }}
        {%- if is_partition_run() %} where {{ partition_window_predicate(date_column) }}{% endif %}
    {%- endif -%}
{%- endmacro %}

{% macro spark__delete_partition_window(date_column) -%}
    {#- Spark deletes rows only from Delta tables: a full rebuild truncates the table (any
        format); a partition run deletes its window, which needs file_format delta. -#}
    {%- if is_partition_run() -%}
        delete from {{ this }} where {{ partition_window_predicate(date_column) }}
    {%- elif is_incremental() -%}
        truncate table {{ this }}
    {%- endif -%}
{%- endmacro %}
