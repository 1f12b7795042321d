{#- One row: the as_of date and the span of dates the warehouse covers. -#}
{#- Per staging model: the first and the last date it holds, as SQL expressions of a date.
    event: the dates that define as_of (docs/kpis.md#which-periods-and-rows-are-published);
    other: dates that only move the calendar's start (rates, market periods, employment
    spells, and payroll pay_month: its conversion date, the 1st, may precede every event date).
    The calendar ends with the reporting window (the as_of month, or the last event date),
    never at the furthest date of the data: a hire, a leave or a rate dated years ahead does
    not stretch the daily models (int_fx_rates_daily covers later conversion dates itself). -#}
{%- set pay_month_end = last_day_of_month('pay_month') -%}
{%- set event_dates = [
    ('stg_billing__invoices', 'issued_on', 'issued_on'),
    ('stg_billing__subscriptions', 'cast(started_at as date)', 'cast(started_at as date)'),
    ('stg_billing__subscriptions', 'cast(ended_at as date)', 'cast(ended_at as date)'),
    ('stg_marketing__web_events', 'cast(occurred_at as date)', 'cast(occurred_at as date)'),
    ('stg_marketing__ad_spend', 'spend_date', 'spend_date'),
    ('stg_marketing__expenses', 'booked_on', 'booked_on'),
    ('stg_crm__leads', 'cast(created_at as date)', 'cast(created_at as date)'),
    ('stg_crm__leads', 'cast(qualified_at as date)', 'cast(qualified_at as date)'),
    ('stg_crm__nps_responses', 'cast(responded_at as date)', 'cast(responded_at as date)'),
    ('stg_crm__customers', 'cast(created_at as date)', 'cast(created_at as date)'),
    ('stg_hr__engagement_responses', 'survey_date', 'survey_date'),
    ('stg_hr__payroll', pay_month_end, pay_month_end),
] -%}
{%- set other_dates = [
    ('stg_billing__fx_rates', 'rate_date', 'rate_date'),
    ('stg_hr__payroll', 'pay_month', 'pay_month'),
    ('stg_marketing__market_sizes', 'period_start', 'period_end'),
    ('stg_hr__employees', 'hired_on', 'coalesce(terminated_on, hired_on)'),
] -%}

with date_ranges as (
    {%- for kind, dates in [('event', event_dates), ('other', other_dates)] %}
        {%- set first_kind = loop.first %}
        {%- for model_name, first_date, last_date in dates %}
            {{ 'union all' if not (first_kind and loop.first) }}
            select
                '{{ kind }}' as date_kind,
                min({{ first_date }}) as first_date,
                max({{ last_date }}) as last_date
            from {{ ref(model_name) }}
        {%- endfor %}
    {%- endfor %}
),

event_bounds as (

    select
        min(first_date) as first_event_date,
        max(last_date) as last_event_date
    from date_ranges
    where date_kind = 'event'

),

other_bounds as (

    select min(first_date) as first_other_date
    from date_ranges
    where date_kind = 'other'

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
            has all its days (average FTE is over all days of the month), and through the last
            event date (events after an earlier as_of still convert at their day's rate). -#}
        greatest(
            event_bounds.last_event_date,
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
