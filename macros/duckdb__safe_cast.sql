{#- dbt's safe_cast on DuckDB: try_cast, null where the value does not convert (a text that is
    no number, a number too large for the type). dbt's default is a plain cast, which fails
    the whole model on one such value; the vendor mappings rely on the null (their raw suites
    then name the row). -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
