{#- One row per published month and customer active at the first instant of the month or at
    the first instant of the next month (or both): its MRR at both instants (reporting
    currency, constant rate of each subscription's started_at), its churn segments at the
    start of the month and its MRR movement over the month. -#}
with calendar_months as (

    select month_start, month_end, next_month_start from {{ ref('int_calendar_months') }}

),

subscriptions as (

    select subscription_id, customer_id, plan_id, product_line, started_at, ended_at, mrr
    from {{ ref('int_subscriptions_converted') }}

),

customers as (

    select customer_id, segment, acquisition_channel from {{ ref('stg_crm__customers') }}

),

month_instants as (

    select
        month_start,
        month_end,
        next_month_start,
        cast(month_start as {{ dbt.type_timestamp() }}) as month_start_at,
        cast(next_month_start as {{ dbt.type_timestamp() }}) as next_month_start_at
    from calendar_months

),

{# Active at instant t: started_at <= t < coalesce(ended_at, +infinity). #}
subscription_month_flags as (

    select
        month_instants.month_start,
        month_instants.month_end,
        month_instants.next_month_start,
        subscriptions.subscription_id,
        subscriptions.customer_id,
        subscriptions.plan_id,
        subscriptions.product_line,
        cast(subscriptions.mrr as {{ type_double() }}) as mrr,
        (
            subscriptions.started_at <= month_instants.month_start_at
            and (
                subscriptions.ended_at is null
                or subscriptions.ended_at > month_instants.month_start_at
            )
        ) as is_active_at_start,
        (
            subscriptions.started_at <= month_instants.next_month_start_at
            and (
                subscriptions.ended_at is null
                or subscriptions.ended_at > month_instants.next_month_start_at
            )
        ) as is_active_at_next_start
    from month_instants
    inner join subscriptions
        on
            month_instants.next_month_start_at >= subscriptions.started_at
            and (
                subscriptions.ended_at is null
                or month_instants.month_start_at < subscriptions.ended_at
            )

),

subscription_months as (

    select
        month_start,
        month_end,
        next_month_start,
        subscription_id,
        customer_id,
        plan_id,
        product_line,
        mrr,
        is_active_at_start,
        is_active_at_next_start
    from subscription_month_flags
    where is_active_at_start or is_active_at_next_start

),

customer_first_starts as (

    select
        customer_id,
        min(started_at) as first_started_at
    from subscriptions
    group by customer_id

),

{# The customer's plan at the start of the month: its highest-MRR subscription active then,
    ties to the smallest plan_id in string order. #}
ranked_plans_at_start as (

    select
        month_start,
        customer_id,
        plan_id,
        product_line,
        row_number() over (
            partition by month_start, customer_id
            order by mrr desc, plan_id asc, subscription_id asc
        ) as plan_rank
    from subscription_months
    where is_active_at_start

),

plans_at_start as (

    select month_start, customer_id, plan_id, product_line
    from ranked_plans_at_start
    where plan_rank = 1

),

customer_months as (

    select
        month_start,
        month_end,
        next_month_start,
        customer_id,
        sum(case when is_active_at_start then mrr else 0 end) as mrr_at_start,
        sum(case when is_active_at_next_start then mrr else 0 end) as mrr_at_next_start,
        max(case when is_active_at_start then 1 else 0 end) = 1 as is_active_at_start,
        max(case when is_active_at_next_start then 1 else 0 end) = 1 as is_active_at_next_start
    from subscription_months
    group by month_start, month_end, next_month_start, customer_id

),

customer_months_enriched as (

    select
        customer_months.month_start,
        customer_months.month_end,
        customer_months.next_month_start,
        customer_months.customer_id,
        customer_months.is_active_at_start,
        customer_months.is_active_at_next_start,
        customer_months.is_active_at_start
        and not customer_months.is_active_at_next_start as is_churned,
        customer_first_starts.first_started_at
        < cast(customer_months.month_start as {{ dbt.type_timestamp() }})
            as has_been_active_before,
        customer_months.mrr_at_start,
        customer_months.mrr_at_next_start,
        plans_at_start.plan_id,
        plans_at_start.product_line,
        customers.segment as customer_segment,
        customers.acquisition_channel
    from customer_months
    inner join customer_first_starts
        on customer_months.customer_id = customer_first_starts.customer_id
    left join plans_at_start
        on
            customer_months.month_start = plans_at_start.month_start
            and customer_months.customer_id = plans_at_start.customer_id
    left join customers
        on customer_months.customer_id = customers.customer_id

),

final as (

    select
        month_start,
        month_end,
        next_month_start,
        customer_id,
        is_active_at_start,
        is_active_at_next_start,
        is_churned,
        not is_active_at_start
        and is_active_at_next_start
        and not has_been_active_before as is_new,
        not is_active_at_start
        and is_active_at_next_start
        and has_been_active_before as is_reactivated,
        has_been_active_before,
        mrr_at_start,
        mrr_at_next_start,
        case
            when not is_active_at_start and is_active_at_next_start and not has_been_active_before
                then mrr_at_next_start
            else 0
        end as new_mrr,
        case
            when not is_active_at_start and is_active_at_next_start and has_been_active_before
                then mrr_at_next_start
            else 0
        end as reactivated_mrr,
        case
            when is_active_at_start and is_active_at_next_start and mrr_at_next_start > mrr_at_start
                then mrr_at_next_start - mrr_at_start
            else 0
        end as expansion_mrr,
        case
            when is_active_at_start and is_active_at_next_start and mrr_at_next_start < mrr_at_start
                then mrr_at_start - mrr_at_next_start
            else 0
        end as contraction_mrr,
        case when is_churned then mrr_at_start else 0 end as churned_mrr,
        plan_id as plan_id_at_start,
        product_line as product_line_at_start,
        customer_segment,
        acquisition_channel
    from customer_months_enriched

)

select * from final
