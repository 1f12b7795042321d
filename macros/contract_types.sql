{#- Model contracts spell each data type once (DuckDB's words: double, varchar, bigint, ...).
    dbt checks a contract by casting null to every contract type on the engine, and
    PostgreSQL creates a contracted table with these types, so each engine gets its own
    spelling here: PostgreSQL has no `double` (double precision), Spark no bare `varchar`
    (string). The models themselves cast with type_double() and dbt.type_string(). -#}
{% macro contract_data_type(data_type) -%}
    {{ return(adapter.dispatch('contract_data_type', 'nyckeltal')(data_type)) }}
{%- endmacro %}

{% macro default__contract_data_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro postgres__contract_data_type(data_type) -%}
    {{ return({'double': 'double precision'}.get(data_type | trim | lower, data_type)) }}
{%- endmacro %}

{% macro spark__contract_data_type(data_type) -%}
    {{ return({'varchar': 'string'}.get(data_type | trim | lower, data_type)) }}
{%- endmacro %}

{#- The columns of a model (name -> column dict) with engine spellings of their types. -#}
{% macro contract_columns(columns) -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = dict(column) -%}
        {%- if column.get('data_type') -%}
            {%- do copy.update({'data_type': nyckeltal.contract_data_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(translated) }}
{%- endmacro %}

{#- dbt's own macros, dispatched to these first (dbt_project.yml `dispatch`). -#}
{% macro postgres__get_empty_schema_sql(columns) -%}
    {{ return(dbt.default__get_empty_schema_sql(nyckeltal.contract_columns(columns))) }}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) -%}
    {{ return(dbt.default__get_empty_schema_sql(nyckeltal.contract_columns(columns))) }}
{%- endmacro %}

{% macro postgres__get_table_columns_and_constraints() -%}
    {%- set columns = nyckeltal.contract_columns(model['columns']) -%}
    {%- set raw_column_constraints = adapter.render_raw_columns_constraints(raw_columns=columns) -%}
    {%- set raw_model_constraints = adapter.render_raw_model_constraints(raw_constraints=model['constraints']) -%}
    (
    {% for c in raw_column_constraints -%}
        {{ c }}{{ "," if not loop.last or raw_model_constraints }}
    {% endfor %}
    {% for c in raw_model_constraints -%}
        {{ c }}{{ "," if not loop.last }}
    {% endfor -%}
    )
{%- endmacro %}

{#- Seeds: their `column_types` use the same spellings as the contracts. -#}
{% macro with_engine_column_types(model) -%}
    {%- set config = dict(model['config']) -%}
    {%- set column_types = {} -%}
    {%- for name, data_type in (config.get('column_types') or {}).items() -%}
        {%- do column_types.update({name: nyckeltal.contract_data_type(data_type)}) -%}
    {%- endfor -%}
    {%- do config.update({'column_types': column_types}) -%}
    {%- set translated = dict(model) -%}
    {%- do translated.update({'config': config}) -%}
    {{ return(translated) }}
{%- endmacro %}

{% macro postgres__create_csv_table(model, agate_table) -%}
    {{ return(dbt.default__create_csv_table(nyckeltal.with_engine_column_types(model), agate_table)) }}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {{ return(dbt.spark__create_csv_table(nyckeltal.with_engine_column_types(model), agate_table)) }}
{%- endmacro %}

{#- dbt-spark's own version binds values by plain substitution in the `session` method:
    a value with an apostrophe breaks the statement and an empty value becomes 'None'.
    Here values are written as escaped Spark SQL literals, null as null. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_types = nyckeltal.with_engine_column_types(model)['config']['column_types'] -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for column_name in agate_table.column_names -%}
                    {%- set data_type = column_types.get(column_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- set value = row[loop.index0] -%}
                    {%- if value is none -%}
                        cast(null as {{ data_type }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ data_type }})
                    {%- endif -%}
                    {{- ", " if not loop.last -}}
                {%- endfor -%}
                ){{ "," if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{%- endmacro %}
