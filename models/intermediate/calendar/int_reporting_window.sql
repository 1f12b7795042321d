{#- One row: the as_of date and the span of dates the warehouse covers. -#}
with invoices as (

    select issued_on from {{ ref('stg_billing__invoices') }}

),

subscriptions as (

    select
        cast(started_at as date) as started_on,
        cast(ended_at as date) as ended_on
    from {{ ref('stg_billing__subscriptions') }}

),

web_events as (

    select cast(occurred_at as date) as occurred_on
    from {{ ref('stg_marketing__web_events') }}

),

ad_spend as (

    select spend_date from {{ ref('stg_marketing__ad_spend') }}

),

expenses as (

    select booked_on from {{ ref('stg_marketing__expenses') }}

),

leads as (

    select
        cast(created_at as date) as created_on,
        cast(qualified_at as date) as qualified_on
    from {{ ref('stg_crm__leads') }}

),

nps_responses as (

    select cast(responded_at as date) as responded_on
    from {{ ref('stg_crm__nps_responses') }}

),

customers as (

    select cast(created_at as date) as created_on from {{ ref('stg_crm__customers') }}

),

engagement_responses as (

    select survey_date from {{ ref('stg_hr__engagement_responses') }}

),

payroll as (

    select
        pay_month,
        {{ last_day_of_month('pay_month') }} as pay_month_end
    from {{ ref('stg_hr__payroll') }}

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

event_date_ranges as (

    {#- The dates that define as_of (docs/kpis.md#which-periods-and-rows-are-published). -#}
    select min(issued_on) as first_date, max(issued_on) as last_date from invoices
    union all
    select min(started_on) as first_date, max(started_on) as last_date from subscriptions
    union all
    select min(ended_on) as first_date, max(ended_on) as last_date from subscriptions
    union all
    select min(occurred_on) as first_date, max(occurred_on) as last_date from web_events
    union all
    select min(spend_date) as first_date, max(spend_date) as last_date from ad_spend
    union all
    select min(booked_on) as first_date, max(booked_on) as last_date from expenses
    union all
    select min(created_on) as first_date, max(created_on) as last_date from leads
    union all
    select min(qualified_on) as first_date, max(qualified_on) as last_date from leads
    union all
    select min(responded_on) as first_date, max(responded_on) as last_date from nps_responses
    union all
    select min(created_on) as first_date, max(created_on) as last_date from customers
    union all
    select min(survey_date) as first_date, max(survey_date) as last_date from engagement_responses
    union all
    select min(pay_month_end) as first_date, max(pay_month_end) as last_date from payroll

),

other_date_ranges as (

    {#- Dates that only widen the calendar (rates, market periods, employment spells, and
        payroll pay_month: its conversion date, the 1st, may precede every event date). -#}
    select min(rate_date) as first_date, max(rate_date) as last_date from fx_rates
    union all
    select min(pay_month) as first_date, max(pay_month) as last_date from payroll
    union all
    select min(period_start) as first_date, max(period_end) as last_date
    from market_sizes
    union all
    select min(hired_on) as first_date, max(coalesce(terminated_on, hired_on)) as last_date
    from employees

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
        {#- Through the last day of the as_of month at least, so that every published month
            has all its days (average FTE is over all days of the month). -#}
        greatest(
            event_bounds.last_event_date,
            coalesce(other_bounds.last_other_date, event_bounds.last_event_date),
            {% if var('as_of_date') -%}
                {{ last_day_of_month("cast('" ~ var('as_of_date') ~ "' as date)") }}
            {%- else -%}
                {{ last_day_of_month('event_bounds.last_event_date') }}
            {%- endif %}
        ) as calendar_end_date
    from event_bounds
    cross join other_bounds

)

select * from final
