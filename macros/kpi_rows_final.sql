{#- The 12-column KPI row interface every int_kpi_rows_<family> model ends with (documented
    in macros/_macros.yml). Every argument is an SQL expression over `relation` (and the
    `calendar` it is joined to, and whatever `join` adds); numerator, denominator and
    value_input are cast to type_double() first, then `value` is computed from the typed
    `numerator`, `denominator` and `value_input`. -#}
{% macro kpi_rows_final(
    relation,
    kpi_code=none,
    period_grain="'month'",
    segment_type=none,
    segment_value=none,
    numerator=none,
    denominator=none,
    value='numerator / nullif(denominator, 0)',
    unit=none,
    period_start=none,
    period_end=none,
    is_complete_period=none,
    is_suppressed='false',
    value_input='null',
    calendar=none,
    month_column='month_start',
    join=''
) -%}
    {#- Period columns default to the calendar month joined on month_column, else to the
        relation's own period_start, period_end and is_complete_period. -#}
    {%- if calendar -%}
        {%- set default_start = calendar ~ '.month_start' -%}
        {%- set default_end = calendar ~ '.month_end' -%}
        {%- set default_complete = calendar ~ '.is_complete_period' -%}
    {%- else -%}
        {%- set default_start = relation ~ '.period_start' -%}
        {%- set default_end = relation ~ '.period_end' -%}
        {%- set default_complete = relation ~ '.is_complete_period' -%}
    {%- endif -%}
    select
        {%- for column in kpi_row_columns() %}
            {%- if column == 'value' %}
                cast({{ value }} as {{ type_double() }}) as value,
            {%- else %}
                {{ column }}{{ ',' if not loop.last }}
            {%- endif %}
        {%- endfor %}
    from (
        select
            cast({{ kpi_code or relation ~ '.kpi_code' }} as {{ dbt.type_string() }})
                as kpi_code,
            cast({{ period_start or default_start }} as date) as period_start,
            cast({{ period_end or default_end }} as date) as period_end,
            cast({{ period_grain }} as {{ dbt.type_string() }}) as period_grain,
            cast({{ segment_type or relation ~ '.segment_type' }} as {{ dbt.type_string() }})
                as segment_type,
            cast({{ segment_value or relation ~ '.segment_value' }} as {{ dbt.type_string() }})
                as segment_value,
            cast({{ numerator or relation ~ '.numerator' }} as {{ type_double() }})
                as numerator,
            cast({{ denominator or relation ~ '.denominator' }} as {{ type_double() }})
                as denominator,
            cast({{ value_input }} as {{ type_double() }}) as value_input,
            cast({{ unit or relation ~ '.unit' }} as {{ dbt.type_string() }}) as unit,
            cast({{ is_complete_period or default_complete }} as boolean) as is_complete_period,
            cast({{ is_suppressed }} as boolean) as is_suppressed
        from {{ relation }}
        {%- if calendar %}
            inner join {{ calendar }}
                on {{ relation }}.{{ month_column }} = {{ calendar }}.month_start
        {%- endif %}
        {{ join }}
    ) as typed_kpi_rows
{%- endmacro %}
