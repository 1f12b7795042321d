{#- One row: the as_of date and the span of dates the warehouse covers. -#}
with invoices as (

    select issued_at from {{ ref('stg_billing__invoices') }}

),

subscriptions as (

    select started_at, ended_at from {{ ref('stg_billing__subscriptions') }}

),

web_events as (

    select occurred_at from {{ ref('stg_marketing__web_events') }}

),

ad_spend as (

    select spend_date from {{ ref('stg_marketing__ad_spend') }}

),

expenses as (

    select booked_on from {{ ref('stg_marketing__expenses') }}

),

leads as (

    select created_at, qualified_at from {{ ref('stg_crm__leads') }}

),

nps_responses as (

    select responded_at from {{ ref('stg_crm__nps_responses') }}

),

customers as (

    select created_at from {{ ref('stg_crm__customers') }}

),

engagement_responses as (

    select survey_date from {{ ref('stg_hr__engagement_responses') }}

),

payroll as (

    select pay_month from {{ ref('stg_hr__payroll') }}

),

fx_rates as (

    select rate_date from {{ ref('stg_billing__fx_rates') }}

),

market_sizes as (

    select period_start, period_end from {{ ref('stg_marketing__market_sizes') }}

),

employees as (

    select hired_on, terminated_on from {{ ref('stg_hr__employees') }}

),

{#- The dates that define as_of (kpis.md, "Precise rules"). -#}
event_date_ranges as (

    select min(cast(issued_at as date)) as first_date, max(cast(issued_at as date)) as last_date
    from invoices
    union all
    select min(cast(started_at as date)), max(cast(started_at as date)) from subscriptions
    union all
    select min(cast(ended_at as date)), max(cast(ended_at as date)) from subscriptions
    union all
    select min(cast(occurred_at as date)), max(cast(occurred_at as date)) from web_events
    union all
    select min(spend_date), max(spend_date) from ad_spend
    union all
    select min(booked_on), max(booked_on) from expenses
    union all
    select min(cast(created_at as date)), max(cast(created_at as date)) from leads
    union all
    select min(cast(qualified_at as date)), max(cast(qualified_at as date)) from leads
    union all
    select min(cast(responded_at as date)), max(cast(responded_at as date)) from nps_responses
    union all
    select min(cast(created_at as date)), max(cast(created_at as date)) from customers
    union all
    select min(survey_date), max(survey_date) from engagement_responses
    union all
    select
        min({{ last_day_of_month('pay_month') }}),
        max({{ last_day_of_month('pay_month') }})
    from payroll

),

{#- Dates that only widen the calendar (rates, market periods, employment spells). -#}
other_date_ranges as (

    select min(rate_date) as first_date, max(rate_date) as last_date from fx_rates
    union all
    select min(period_start), max(period_end) from market_sizes
    union all
    select min(hired_on), max(coalesce(terminated_on, hired_on)) from employees

),

event_bounds as (

    select
        min(first_date) as first_event_date,
        max(last_date) as last_event_date
    from event_date_ranges

),

other_bounds as (

    select
        min(first_date) as first_other_date,
        max(last_date) as last_other_date
    from other_date_ranges

),

final as (

    select
        {% if var('as_of_date') -%}
            cast('{{ var("as_of_date") }}' as date)
        {%- else -%}
            event_bounds.last_event_date
        {%- endif %} as as_of_date,
        event_bounds.first_event_date,
        event_bounds.last_event_date,
        cast({{ dbt.date_trunc('month', 'event_bounds.first_event_date') }} as date)
            as first_period_start,
        least(
            event_bounds.first_event_date,
            coalesce(other_bounds.first_other_date, event_bounds.first_event_date)
        ) as calendar_start_date,
        greatest(
            event_bounds.last_event_date,
            coalesce(other_bounds.last_other_date, event_bounds.last_event_date),
            {% if var('as_of_date') -%}
                cast('{{ var("as_of_date") }}' as date)
            {%- else -%}
                event_bounds.last_event_date
            {%- endif %}
        ) as calendar_end_date
    from event_bounds
    cross join other_bounds

)

select * from final
