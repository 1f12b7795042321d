{{ config(materialized='ephemeral') }}
-- depends_on: {{ source('stripe', 'discount') }}
-- depends_on: {{ source('stripe', 'coupon') }}
{#- Discounts are optional: without the landed `discount` and `coupon` tables, none. -#}
{%- set landed = [] -%}
{%- if execute -%}
    {%- for name in ('discount', 'coupon') -%}
        {%- set relation = source('stripe', name) -%}
        {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
            {%- do landed.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- set with_discounts = landed | length == 2 %}

with discounts as (

    select
        subscription_id,
        coupon_id
    {% if with_discounts -%}
        from {{ source('stripe', 'discount') }}
    {%- else -%}
        from (
            select
                cast(null as {{ dbt.type_string() }}) as subscription_id,
                cast(null as {{ dbt.type_string() }}) as coupon_id
        ) as no_discounts
    {%- endif %}
    where subscription_id is not null

),

coupons as (

    select
        id,
        percent_off,
        amount_off,
        currency
    {% if with_discounts -%}
        from {{ source('stripe', 'coupon') }}
    {%- else -%}
        from (
            select
                cast(null as {{ dbt.type_string() }}) as id,
                cast(null as {{ nyckeltal.type_double() }}) as percent_off,
                cast(null as {{ dbt.type_bigint() }}) as amount_off,
                cast(null as {{ dbt.type_string() }}) as currency,
                cast(null as {{ dbt.type_string() }}) as duration
        ) as no_coupons
    {%- endif %}
    where duration = 'forever'

),

final as (

    select
        discounts.subscription_id,
        cast(coalesce(sum(coupons.percent_off), 0) as decimal(38, 10)) as percent_off,
        coalesce(
            sum({{ stripe_major_units('coupons.amount_off', 'coupons.currency') }}), 0
        ) as amount_off
    from discounts
    inner join coupons on discounts.coupon_id = coupons.id
    group by discounts.subscription_id

)

select
    subscription_id,
    percent_off,
    amount_off
from final
