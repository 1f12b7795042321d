{{ config(alias='plans') }}

with prices as (

    select
        plan_id,
        plan_name,
        product_line,
        billing_interval,
        unit_price,
        monthly_unit_price,
        currency
    from {{ ref('stripe_fivetran__prices') }}
    where recurring_interval is not null

),

final as (

    select
        plan_id,
        plan_name,
        product_line,
        billing_interval,
        cast(
            case when billing_interval = 'year' then unit_price else monthly_unit_price end
            as decimal(18, 4)
        ) as list_price,
        currency,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from prices

)

select
    plan_id,
    plan_name,
    product_line,
    billing_interval,
    list_price,
    currency,
    _loaded_at
from final
