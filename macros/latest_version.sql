{#- The latest version of each `key_column` of the landed history table `relation` (Fivetran
    keeps a row per version: campaign_history, account_history, ...), the one with the
    greatest `order_column` among the rows where `condition` holds, as a subquery. -#}
{% macro latest_version(relation, key_column, order_column, condition='1 = 1') -%}
    (
        select versions.*
        from (
            select
                landed.*,
                row_number() over (
                    partition by landed.{{ key_column }}
                    order by landed.{{ order_column }} desc nulls last
                ) as version_number
            from {{ relation }} as landed
            where {{ condition }}
        ) as versions
        where versions.version_number = 1
    )
{%- endmacro %}
