{#- The MRR bridge holds for every month: MRR at start + new + reactivated + expansion
    - contraction - churned = MRR at end, per customer and in total, and a month's MRR at
    end is the next published month's MRR at start. Returns the offending rows. -#}
{%- set movements = [
    'mrr_at_start', 'new_mrr', 'reactivated_mrr', 'expansion_mrr', 'contraction_mrr', 'churned_mrr',
] %}

with customer_mrr_monthly as (

    select month_start, customer_id, {{ movements | join(', ') }}, mrr_at_next_start
    from {{ ref('int_customer_mrr_monthly') }}

),

mrr_movements_monthly as (

    select
        month_start,
        {{ movements | join(', ') }},
        mrr_at_end,
        lead(mrr_at_start) over (order by month_start) as next_month_mrr_at_start
    from {{ ref('mrr_movements_monthly') }}

),

customer_bridge_breaks as (

    select
        month_start,
        customer_id,
        mrr_at_start + new_mrr + reactivated_mrr + expansion_mrr - contraction_mrr
        - churned_mrr - mrr_at_next_start as difference
    from customer_mrr_monthly

),

monthly_bridge_breaks as (

    select
        month_start,
        'all' as customer_id,
        mrr_at_start + new_mrr + reactivated_mrr + expansion_mrr - contraction_mrr
        - churned_mrr - mrr_at_end as difference
    from mrr_movements_monthly
    union all
    select
        month_start,
        'next month' as customer_id,
        mrr_at_end - next_month_mrr_at_start as difference
    from mrr_movements_monthly
    where next_month_mrr_at_start is not null

),

final as (

    select month_start, customer_id, difference
    from customer_bridge_breaks
    where abs(difference) > 0.000001
    union all
    select month_start, customer_id, difference
    from monthly_bridge_breaks
    where abs(difference) > 0.000001

)

select * from final
