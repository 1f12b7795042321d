{%- set series = ['kpi_code', 'segment_type', 'segment_value', 'period_grain'] -%}
{%- set series_period = series + ['period_start'] -%}

with series_periods as (
    select
        {{ series_period | join(', ') }},
        period_end,
        denominator,
        value,
        unit,
        period_number
    from {{ ref('kpi_scorecard_series') }}
),

trailing_history as (
    select
        current_period.{{ series_period | join(', current_period.') }},
        history.value as history_value
    from series_periods as current_period
    inner join series_periods as history
        on
            {{ keys_equal('current_period', 'history', series) }}
            and current_period.period_number > history.period_number
            and current_period.period_number - {{ var('anomaly_trailing_periods') }}
            <= history.period_number
),

history_medians as (
    select
        {{ series_period | join(', ') }},
        count(*) as history_periods,
        {{ median_of('history_value') }} as expected_value
    from trailing_history
    group by {{ series_period | join(', ') }}
),

history_deviations as (
    select
        trailing_history.{{ series_period | join(', trailing_history.') }},
        abs(trailing_history.history_value - history_medians.expected_value)
            as absolute_deviation
    from trailing_history
    inner join history_medians
        on {{ keys_equal('trailing_history', 'history_medians', series_period) }}
),

history_spread as (
    select
        {{ series_period | join(', ') }},
        {{ median_of('absolute_deviation') }} as median_absolute_deviation
    from history_deviations
    group by {{ series_period | join(', ') }}
),

bands as (
    select
        series_periods.{{ series_period | join(', series_periods.') }},
        series_periods.period_end,
        series_periods.denominator,
        series_periods.value,
        series_periods.unit,
        history_medians.expected_value,
        history_spread.median_absolute_deviation,
        coalesce(history_medians.history_periods, 0) as history_periods,
        greatest(
            {{ var('anomaly_mad_multiplier') }} * 1.4826
            * history_spread.median_absolute_deviation,
            {{ var('anomaly_min_relative_band') }} * abs(history_medians.expected_value)
        ) as band_half_width
    from series_periods
    left join history_medians
        on {{ keys_equal('series_periods', 'history_medians', series_period) }}
    left join history_spread
        on {{ keys_equal('series_periods', 'history_spread', series_period) }}
),

flagged as (
    select
        {{ series_period | join(', ') }},
        period_end,
        value,
        unit,
        history_periods,
        expected_value,
        median_absolute_deviation,
        band_half_width,
        history_periods >= {{ var('anomaly_min_history') }} as has_enough_history,
        coalesce(denominator >= {{ var('anomaly_min_denominator') }}, true) as has_large_sample,
        expected_value - band_half_width as expected_low,
        expected_value + band_half_width as expected_high
    from bands
),

final as (
    select
        {{ series_period | join(', ') }},
        period_end,
        cast(value as {{ type_double() }}) as value,
        unit,
        cast(history_periods as integer) as history_periods,
        has_enough_history,
        cast(case when has_enough_history then expected_value end as {{ type_double() }})
            as expected_value,
        cast(case when has_enough_history then expected_low end as {{ type_double() }})
            as expected_low,
        cast(case when has_enough_history then expected_high end as {{ type_double() }})
            as expected_high,
        coalesce(
            has_enough_history
            and has_large_sample
            and (value > expected_high or value < expected_low),
            false
        ) as is_anomaly,
        case
            when not has_enough_history then 'not_enough_history'
            when not has_large_sample then 'small_sample'
            when value > expected_high then 'above'
            when value < expected_low then 'below'
            else 'within'
        end as direction,
        cast(case when has_enough_history then value - expected_value end as {{ type_double() }})
            as deviation,
        cast(
            case
                when has_enough_history and band_half_width > 0
                    then
                        (value - expected_value) * {{ var('anomaly_mad_multiplier') }}
                        / band_half_width
            end as {{ type_double() }}
        ) as robust_z
    from flagged
)

select * from final
