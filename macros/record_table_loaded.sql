{#- post-hook of the vendor mapping models: record the contract table `table_key` (built as
    `relation`) as loaded, with its row count, in the load manifest raw_nyckeltal.tables_loaded
    (nyckeltal.raw_schema), as the loader does for a file: the optional-tables logic then
    sees it. The loader writes a row for every contract table, which this updates. -#}
{% macro record_table_loaded(relation, table_key) -%}
    update raw_nyckeltal.tables_loaded
    set
        is_loaded = true,
        row_count = (select count(*) from {{ relation }})
    where table_key = '{{ table_key }}'
{%- endmacro %}
