{#- A Stripe time as its API gives it (seconds since 1970-01-01 UTC, as dlt lands it) as a
    UTC timestamp. -#}
{% macro stripe_unix_timestamp(seconds_column) -%}
    {{ dbt.dateadd('second', seconds_column, "cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
