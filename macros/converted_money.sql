{#- The three money columns of a `*_converted` model (after join_fx_rate): the row's currency
    as original_currency, the amount as original_<name>, and <name> in the reporting
    currency at the day's rate. -#}
{% macro converted_money(relation, name, expression=none) -%}
    {%- set amount = expression or relation ~ '.' ~ name -%}
    {{ relation }}.currency as original_currency,
        {{ amount }} as original_{{ name }},
        {{ '(' ~ amount ~ ')' if expression else amount }} * fx_rates_daily.rate_to_reporting
            as {{ name }}
{%- endmacro %}
