{#- A Stripe amount (an integer in the currency's minor unit: cents, öre) in major units of
    `currency_column`: divided by 100, except in Stripe's zero-decimal currencies (JPY, KRW,
    ...; the list of https://docs.stripe.com/currencies#zero-decimal), whose amounts are
    already whole units. -#}
{% macro stripe_major_units(amount_column, currency_column) -%}
    {%- set zero_decimal = [
        'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA',
        'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
    ] -%}
    cast({{ amount_column }} as decimal(38, 10)) / case
        when upper({{ currency_column }}) in ('{{ zero_decimal | join("', '") }}') then 1
        else 100
    end
{%- endmacro %}
