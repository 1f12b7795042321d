{#- How many times a Stripe price of `interval_column` (day, week, month, year) and
    `interval_count_column` (every n intervals) is charged per month: year 1/12, month 1,
    week 52/12, day 365/12, each divided by the interval count. -#}
{% macro stripe_charges_per_month(interval_column, interval_count_column) -%}
    case {{ interval_column }}
        when 'year' then cast(1 as decimal(38, 10)) / 12
        when 'week' then cast(52 as decimal(38, 10)) / 12
        when 'day' then cast(365 as decimal(38, 10)) / 12
        else cast(1 as decimal(38, 10))
    end / coalesce({{ interval_count_column }}, 1)
{%- endmacro %}
