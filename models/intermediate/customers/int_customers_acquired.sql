{#- One row per customer that has at least one subscription: when, through which channel
    and campaign it was acquired, and its acquisition MRR (the MRR of the subscriptions
    that start at its earliest started_at, in the reporting currency). -#}
with customers as (

    select customer_id, segment, region, acquisition_channel, acquisition_campaign_id
    from {{ ref('stg_crm__customers') }}

),

subscriptions as (

    select customer_id, started_at, mrr from {{ ref('int_subscriptions_converted') }}

),

first_starts as (

    select
        customer_id,
        min(started_at) as acquired_at
    from subscriptions
    group by customer_id

),

acquisition_mrr as (

    select
        first_starts.customer_id,
        first_starts.acquired_at,
        sum(subscriptions.mrr) as acquisition_mrr
    from first_starts
    inner join subscriptions
        on
            first_starts.customer_id = subscriptions.customer_id
            and first_starts.acquired_at = subscriptions.started_at
    group by first_starts.customer_id, first_starts.acquired_at

),

final as (

    select
        acquisition_mrr.customer_id,
        acquisition_mrr.acquired_at,
        cast({{ dbt.date_trunc('month', 'acquisition_mrr.acquired_at') }} as date)
            as acquisition_month,
        customers.acquisition_channel,
        customers.acquisition_campaign_id,
        customers.segment,
        customers.region,
        acquisition_mrr.acquisition_mrr
    from acquisition_mrr
    inner join customers
        on acquisition_mrr.customer_id = customers.customer_id

)

select * from final
