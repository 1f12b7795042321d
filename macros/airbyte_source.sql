{#- A table an Airbyte destination landed (source `source_name`), as a subquery of `columns`
    (column name -> contract type, DuckDB spelling; JSON objects as varchar, their text), one
    row per `key`: its latest version, by the stream's `cursor` then `_airbyte_extracted_at`
    (`_airbyte_emitted_at` in older destinations), ties broken by `_airbyte_raw_id` (what
    Airbyte's deduplication keeps; an append sync mode keeps every version). A column
    the table lacks is a typed null, an absent table empty (the layout's required tables are
    checked before dbt runs); names are matched case-insensitively (`updatedAt`). A column
    `object__field` that the table lacks is the `field` of its JSON column `object`, as dlt
    would have flattened it (`recurring__interval`). -#}
{% macro airbyte_source(source_name, table_name, columns, key=['id'], cursor='updated') -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set landed = adapter.get_relation(
        relation.database, relation.schema, relation.identifier
    ) if execute else none -%}
    {%- set present = {} -%}
    {%- for column in (adapter.get_columns_in_relation(landed) if landed else []) -%}
        {%- do present.update({column.name | lower: adapter.quote(column.name)}) -%}
    {%- endfor -%}
    {%- set partition = [] -%}
    {%- for name in key -%}
        {%- do partition.append(present.get(name | lower, name)) -%}
    {%- endfor -%}
    {%- set order = [] -%}
    {%- for name in [cursor | lower, '_airbyte_extracted_at', '_airbyte_emitted_at']
        if name in present -%}
        {%- do order.append(present[name] ~ ' desc nulls last') -%}
    {%- endfor -%}
    {#- Ties (two versions stamped alike, one sync) broken by the record's own id in the
        landing, so that a refresh picks the same version each time. -#}
    {%- for name in ['_airbyte_raw_id', '_airbyte_ab_id'] if name in present -%}
        {%- do order.append(present[name] ~ ' desc') -%}
    {%- endfor -%}
    {%- if execute and not landed %}
    {{ nyckeltal.typed_empty_relation(columns) }}
    {%- else %}
    (
        select
        {%- for name in columns %}
            {{ name }}
            {{- ',' if not loop.last }}
        {%- endfor %}
        from (
            select
            {%- for name, data_type in columns.items() %}
                {%- set parent, _, field = (name | lower).partition('__') %}
                {%- if name | lower not in present and field and parent in present %}
                cast({{ nyckeltal.json_text(present[parent], field) }}
                    as {{ nyckeltal.portable_type(data_type) }}) as {{ name }},
                {%- else %}
                cast({{ present.get(name | lower, 'null') }}
                    as {{ nyckeltal.portable_type(data_type) }}) as {{ name }},
                {%- endif %}
            {%- endfor %}
                row_number() over (
                    partition by {{ partition | join(', ') }}
                    order by {{ (order or partition) | join(', ') }}
                ) as airbyte_version
            from {{ relation }}
        ) as versions
        where airbyte_version = 1
    )
    {%- endif %}
{%- endmacro %}
