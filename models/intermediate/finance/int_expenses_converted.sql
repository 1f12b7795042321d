{#- One row per sales or marketing expense, in the reporting currency at the rate of the
    booking date. -#}
with expenses as (

    select expense_id, booked_on, department, category, amount, currency
    from {{ ref('stg_marketing__expenses') }}

),

final as (

    select
        expenses.expense_id,
        expenses.booked_on,
        cast({{ dbt.date_trunc('month', 'expenses.booked_on') }} as date) as booked_month,
        expenses.department,
        expenses.category,
        {{ converted_money('expenses', 'amount') }}
    from expenses
    {{ join_fx_rate('expenses', 'expenses.booked_on') }}

)

select * from final
