{{ config(materialized='ephemeral') }}

{%- set account_history = source('facebook_ads', 'account_history') %}
{%- set offset_hours = landed_column(account_history, 'timezone_offset_hours_utc', 'null') %}

select
    cast(id as {{ dbt.type_string() }}) as account_id,
    upper(currency) as currency,
    cast(coalesce({{ offset_hours }}, 0) * 60 as {{ dbt.type_int() }}) as timezone_offset_minutes
from {{ latest_version(account_history, 'id', '_fivetran_synced') }} as account_history
