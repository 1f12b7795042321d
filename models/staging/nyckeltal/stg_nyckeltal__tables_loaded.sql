with source as (

    select table_key, is_loaded, row_count
    from {{ source('nyckeltal', 'tables_loaded') }}

),

final as (

    select
        cast(table_key as {{ dbt.type_string() }}) as table_key,
        cast(is_loaded as {{ dbt.type_boolean() }}) as is_loaded,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count
    from source

)

select * from final
