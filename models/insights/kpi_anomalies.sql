with scorecard as (
    select
        kpi_code,
        segment_type,
        segment_value,
        period_grain,
        period_start,
        period_end,
        denominator,
        value,
        unit
    from {{ ref('kpi_scorecard') }}
    where is_complete_period and not is_suppressed and value is not null
),

series_periods as (
    select
        kpi_code,
        segment_type,
        segment_value,
        period_grain,
        period_start,
        period_end,
        denominator,
        value,
        unit,
        row_number() over (
            partition by kpi_code, segment_type, segment_value, period_grain
            order by period_start
        ) as period_number
    from scorecard
),

trailing_history as (
    select
        current_period.kpi_code,
        current_period.segment_type,
        current_period.segment_value,
        current_period.period_grain,
        current_period.period_start,
        history.value as history_value
    from series_periods as current_period
    inner join series_periods as history
        on
            current_period.kpi_code = history.kpi_code
            and current_period.segment_type = history.segment_type
            and current_period.segment_value = history.segment_value
            and current_period.period_grain = history.period_grain
            and current_period.period_number > history.period_number
            and current_period.period_number - {{ var('anomaly_trailing_periods') }}
            <= history.period_number
),

history_medians as (
    select
        kpi_code,
        segment_type,
        segment_value,
        period_grain,
        period_start,
        count(*) as history_periods,
        {{ median_of('history_value') }} as expected_value
    from trailing_history
    group by kpi_code, segment_type, segment_value, period_grain, period_start
),

history_deviations as (
    select
        trailing_history.kpi_code,
        trailing_history.segment_type,
        trailing_history.segment_value,
        trailing_history.period_grain,
        trailing_history.period_start,
        abs(trailing_history.history_value - history_medians.expected_value)
            as absolute_deviation
    from trailing_history
    inner join history_medians
        on
            trailing_history.kpi_code = history_medians.kpi_code
            and trailing_history.segment_type = history_medians.segment_type
            and trailing_history.segment_value = history_medians.segment_value
            and trailing_history.period_grain = history_medians.period_grain
            and trailing_history.period_start = history_medians.period_start
),

history_spread as (
    select
        kpi_code,
        segment_type,
        segment_value,
        period_grain,
        period_start,
        {{ median_of('absolute_deviation') }} as median_absolute_deviation
    from history_deviations
    group by kpi_code, segment_type, segment_value, period_grain, period_start
),

bands as (
    select
        series_periods.kpi_code,
        series_periods.segment_type,
        series_periods.segment_value,
        series_periods.period_grain,
        series_periods.period_start,
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
        on
            series_periods.kpi_code = history_medians.kpi_code
            and series_periods.segment_type = history_medians.segment_type
            and series_periods.segment_value = history_medians.segment_value
            and series_periods.period_grain = history_medians.period_grain
            and series_periods.period_start = history_medians.period_start
    left join history_spread
        on
            series_periods.kpi_code = history_spread.kpi_code
            and series_periods.segment_type = history_spread.segment_type
            and series_periods.segment_value = history_spread.segment_value
            and series_periods.period_grain = history_spread.period_grain
            and series_periods.period_start = history_spread.period_start
),

flagged as (
    select
        kpi_code,
        segment_type,
        segment_value,
        period_grain,
        period_start,
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
        kpi_code,
        segment_type,
        segment_value,
        period_grain,
        period_start,
        period_end,
        cast(value as double) as value,
        unit,
        cast(history_periods as integer) as history_periods,
        has_enough_history,
        cast(case when has_enough_history then expected_value end as double) as expected_value,
        cast(case when has_enough_history then expected_low end as double) as expected_low,
        cast(case when has_enough_history then expected_high end as double) as expected_high,
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
        cast(case when has_enough_history then value - expected_value end as double)
            as deviation,
        cast(
            case
                when has_enough_history and band_half_width > 0
                    then
                        (value - expected_value) * {{ var('anomaly_mad_multiplier') }}
                        / band_half_width
            end as double
        ) as robust_z
    from flagged
)

select
    kpi_code,
    segment_type,
    segment_value,
    period_grain,
    period_start,
    period_end,
    value,
    unit,
    history_periods,
    has_enough_history,
    expected_value,
    expected_low,
    expected_high,
    is_anomaly,
    direction,
    deviation,
    robust_z
from final
