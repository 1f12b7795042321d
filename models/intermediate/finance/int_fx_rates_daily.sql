{#- One row per currency and calendar day: the rate to the reporting currency in force that
    day, i.e. the latest rate dated on or before it. The reporting currency itself converts
    at 1.0 on every day (any fx_rates rows for it are ignored). Converting a transaction is
    then an equi-join on (currency, date). The days are those of int_calendar_days, which
    ends with the reporting window, plus the market-research period ends after it (market
    revenue converts at period_end, which may lie ahead): no spine to the furthest date. -#}
with fx_rates as (

    select rate_date, currency, rate_to_reporting
    from {{ ref('stg_billing__fx_rates') }}
    where currency != '{{ var("reporting_currency") | upper }}'

),

calendar_only_days as (

    select calendar_date from {{ ref('int_calendar_days') }}

),

market_period_ends as (

    select period_end from {{ ref('stg_marketing__market_sizes') }}

),

later_conversion_days as (

    select distinct market_period_ends.period_end as calendar_date
    from market_period_ends
    where
        market_period_ends.period_end
        > (select max(calendar_only_days.calendar_date) from calendar_only_days)

),

calendar_days as (

    select calendar_date from calendar_only_days
    union all
    select calendar_date from later_conversion_days

),

rates_with_validity as (

    select
        rate_date,
        currency,
        rate_to_reporting,
        lead(rate_date) over (partition by currency order by rate_date) as next_rate_date
    from fx_rates

),

foreign_currency_days as (

    select
        calendar_days.calendar_date as rate_date,
        rates_with_validity.currency,
        {#- decimal(38, 10): amount decimal(18, 4) x rate keeps 24 integer digits (a
            decimal(18, 10) rate gives decimal(18, 14) products, overflowing at 10 000). -#}
        cast(rates_with_validity.rate_to_reporting as decimal(38, 10)) as rate_to_reporting,
        rates_with_validity.rate_date as rate_published_on
    from calendar_days
    inner join rates_with_validity
        on
            calendar_days.calendar_date >= rates_with_validity.rate_date
            and (
                rates_with_validity.next_rate_date is null
                or calendar_days.calendar_date < rates_with_validity.next_rate_date
            )

),

reporting_currency_days as (

    select
        calendar_date as rate_date,
        '{{ var("reporting_currency") | upper }}' as currency,
        cast(1 as decimal(38, 10)) as rate_to_reporting,
        calendar_date as rate_published_on
    from calendar_days

),

final as (

    select rate_date, currency, rate_to_reporting, rate_published_on
    from foreign_currency_days
    union all
    select rate_date, currency, rate_to_reporting, rate_published_on
    from reporting_currency_days

)

select * from final
