{#- One row per subscription, with its MRR in the reporting currency converted once, at the
    rate of its started_at date (constant currency: rate moves never show as churn). -#}
with subscriptions as (

    select subscription_id, customer_id, plan_id, started_at, ended_at, mrr, currency
    from {{ ref('stg_billing__subscriptions') }}

),

plans as (

    select plan_id, product_line, billing_interval from {{ ref('stg_billing__plans') }}

),

final as (

    select
        subscriptions.subscription_id,
        subscriptions.customer_id,
        subscriptions.plan_id,
        plans.product_line,
        plans.billing_interval,
        subscriptions.started_at,
        subscriptions.ended_at,
        {{ converted_money('subscriptions', 'mrr') }}
    from subscriptions
    left join plans
        on subscriptions.plan_id = plans.plan_id
    {{ join_fx_rate('subscriptions', 'cast(subscriptions.started_at as date)') }}

)

select * from final
