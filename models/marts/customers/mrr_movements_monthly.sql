{#- One row per published month: the MRR bridge from the first instant of the month to the
    first instant of the next month, summed over int_customer_mrr_monthly. -#}
with calendar_months as (

    select month_start, month_end, is_complete_period from {{ ref('int_calendar_months') }}

),

customer_mrr_monthly as (

    select
        month_start,
        is_active_at_start,
        is_active_at_next_start,
        is_new,
        is_reactivated,
        is_churned,
        mrr_at_start,
        new_mrr,
        reactivated_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        mrr_at_next_start
    from {{ ref('int_customer_mrr_monthly') }}

),

monthly_movements as (

    select
        month_start,
        sum(case when is_active_at_start then 1 else 0 end) as customers_at_start,
        sum(case when is_new then 1 else 0 end) as new_customers,
        sum(case when is_reactivated then 1 else 0 end) as reactivated_customers,
        sum(case when is_churned then 1 else 0 end) as churned_customers,
        sum(case when is_active_at_next_start then 1 else 0 end) as customers_at_end,
        sum(mrr_at_start) as mrr_at_start,
        sum(new_mrr) as new_mrr,
        sum(reactivated_mrr) as reactivated_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(mrr_at_next_start) as mrr_at_end
    from customer_mrr_monthly
    group by month_start

),

final as (

    select
        calendar_months.month_start,
        calendar_months.month_end,
        cast(coalesce(monthly_movements.customers_at_start, 0) as {{ dbt.type_bigint() }})
            as customers_at_start,
        cast(coalesce(monthly_movements.new_customers, 0) as {{ dbt.type_bigint() }})
            as new_customers,
        cast(coalesce(monthly_movements.reactivated_customers, 0) as {{ dbt.type_bigint() }})
            as reactivated_customers,
        cast(coalesce(monthly_movements.churned_customers, 0) as {{ dbt.type_bigint() }})
            as churned_customers,
        cast(coalesce(monthly_movements.customers_at_end, 0) as {{ dbt.type_bigint() }})
            as customers_at_end,
        cast(coalesce(monthly_movements.mrr_at_start, 0) as {{ type_double() }}) as mrr_at_start,
        cast(coalesce(monthly_movements.new_mrr, 0) as {{ type_double() }}) as new_mrr,
        cast(coalesce(monthly_movements.reactivated_mrr, 0) as {{ type_double() }})
            as reactivated_mrr,
        cast(coalesce(monthly_movements.expansion_mrr, 0) as {{ type_double() }}) as expansion_mrr,
        cast(coalesce(monthly_movements.contraction_mrr, 0) as {{ type_double() }})
            as contraction_mrr,
        cast(coalesce(monthly_movements.churned_mrr, 0) as {{ type_double() }}) as churned_mrr,
        cast(coalesce(monthly_movements.mrr_at_end, 0) as {{ type_double() }}) as mrr_at_end,
        calendar_months.is_complete_period
    from calendar_months
    left join monthly_movements
        on calendar_months.month_start = monthly_movements.month_start

)

select * from final
