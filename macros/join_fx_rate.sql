{#- Joins the daily exchange rate (int_fx_rates_daily, as `fx_rates_daily`) of the row's
    currency on `rate_date`: money in the reporting currency is then
    `<amount> * fx_rates_daily.rate_to_reporting`. -#}
{% macro join_fx_rate(relation, rate_date, currency_column='currency') -%}
    left join {{ ref('int_fx_rates_daily') }} as fx_rates_daily
        on
            {{ relation }}.{{ currency_column }} = fx_rates_daily.currency
            and {{ rate_date }} = fx_rates_daily.rate_date
{%- endmacro %}
