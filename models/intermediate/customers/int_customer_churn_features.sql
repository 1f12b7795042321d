{#- One row per month M and customer active at the start of M: what was known at that
    instant (features) and whether the customer churned during M (the label). Point in time:
    every feature reads rows dated before month_start only. -#}
{%- set customer_month = ['month_start', 'customer_id'] %}
with customer_months as (
    select
        month_start,
        next_month_start,
        customer_id,
        is_active_at_start,
        is_churned,
        mrr_at_start,
        expansion_mrr,
        contraction_mrr,
        plan_id_at_start,
        product_line_at_start,
        customer_segment,
        acquisition_channel
    from {{ ref('int_customer_mrr_monthly') }}
),

customers_acquired as (
    select customer_id, acquisition_month from {{ ref('int_customers_acquired') }}
),

nps_responses as (
    select customer_id, responded_at, score from {{ ref('stg_crm__nps_responses') }}
),

invoices as (
    select customer_id, issued_at, status from {{ ref('stg_billing__invoices') }}
),

active_at_start as (
    select
        month_start,
        customer_id,
        is_churned,
        mrr_at_start,
        plan_id_at_start,
        product_line_at_start,
        customer_segment,
        acquisition_channel
    from customer_months
    where is_active_at_start
),

movements_last_3_months as (
    -- The movements of months M-3 .. M-1: each is measured at the start of the month after,
    -- at the latest at the start of M.
    select
        active_at_start.month_start,
        active_at_start.customer_id,
        sum(earlier_months.expansion_mrr) as expansion_mrr_3m,
        sum(earlier_months.contraction_mrr) as contraction_mrr_3m
    from active_at_start
    inner join customer_months as earlier_months
        on
            active_at_start.customer_id = earlier_months.customer_id
            and active_at_start.month_start > earlier_months.month_start
            and cast({{ dbt.dateadd('month', -3, 'active_at_start.month_start') }} as date)
            <= earlier_months.month_start
    group by active_at_start.{{ customer_month | join(', active_at_start.') }}
),

nps_before_start as (
    select
        active_at_start.month_start,
        active_at_start.customer_id,
        nps_responses.score,
        row_number() over (
            partition by active_at_start.month_start, active_at_start.customer_id
            order by nps_responses.responded_at desc, nps_responses.score asc
        ) as recency_rank
    from active_at_start
    inner join nps_responses
        on
            active_at_start.customer_id = nps_responses.customer_id
            and active_at_start.month_start > nps_responses.responded_at
),

unpaid_invoices_before_start as (
    select
        active_at_start.month_start,
        active_at_start.customer_id,
        count(*) as unpaid_invoices
    from active_at_start
    inner join invoices
        on
            active_at_start.customer_id = invoices.customer_id
            and active_at_start.month_start > invoices.issued_at
    where invoices.status in ('open', 'uncollectible')
    group by active_at_start.{{ customer_month | join(', active_at_start.') }}
),

final as (
    select
        active_at_start.month_start,
        active_at_start.customer_id,
        active_at_start.is_churned,
        {{ dbt.datediff(
            'customers_acquired.acquisition_month', 'active_at_start.month_start', 'month'
        ) }} as tenure_months,
        active_at_start.plan_id_at_start,
        active_at_start.product_line_at_start,
        active_at_start.customer_segment,
        active_at_start.acquisition_channel,
        cast(active_at_start.mrr_at_start as double) as mrr_at_start,
        cast(coalesce(movements_last_3_months.expansion_mrr_3m, 0) as double)
            as expansion_mrr_3m,
        cast(coalesce(movements_last_3_months.contraction_mrr_3m, 0) as double)
            as contraction_mrr_3m,
        nps_before_start.score as latest_nps_score,
        coalesce(unpaid_invoices_before_start.unpaid_invoices, 0) as unpaid_invoices
    from active_at_start
    left join customers_acquired
        on active_at_start.customer_id = customers_acquired.customer_id
    left join movements_last_3_months
        on {{ keys_equal('active_at_start', 'movements_last_3_months', customer_month) }}
    left join nps_before_start
        on
            {{ keys_equal('active_at_start', 'nps_before_start', customer_month) }}
            and nps_before_start.recency_rank = 1
    left join unpaid_invoices_before_start
        on {{ keys_equal('active_at_start', 'unpaid_invoices_before_start', customer_month) }}
)

select * from final
