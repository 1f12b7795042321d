{#- One row per sales or marketing expense, in the reporting currency at the rate of the
    booking date. -#}
with expenses as (

    select expense_id, booked_on, department, category, amount, currency
    from {{ ref('stg_marketing__expenses') }}

),

fx_rates_daily as (

    select rate_date, currency, rate_to_reporting from {{ ref('int_fx_rates_daily') }}

),

final as (

    select
        expenses.expense_id,
        expenses.booked_on,
        cast({{ dbt.date_trunc('month', 'expenses.booked_on') }} as date) as booked_month,
        expenses.department,
        expenses.category,
        expenses.currency as original_currency,
        expenses.amount as original_amount,
        expenses.amount * fx_rates_daily.rate_to_reporting as amount
    from expenses
    left join fx_rates_daily
        on
            expenses.currency = fx_rates_daily.currency
            and expenses.booked_on = fx_rates_daily.rate_date

)

select * from final
