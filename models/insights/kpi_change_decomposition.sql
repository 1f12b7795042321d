{#- Why a KPI moved: the change of its latest complete period against the previous one, split
    into each segment's rate and mix effect (symmetric midpoint decomposition; docs/insights.md).
    value = scale x sum(N_i) / D with scale 100 for a percent (or a score of -100..100) KPI:
    with share s_i = D_i / D and rate r_i = scale x N_i / D_i, value = sum(s_i x r_i) and
    s1 r1 - s0 r0 = mean(s) x (r1 - r0) + mean(r) x (s1 - s0) exactly, segment by segment. -#}
{%- set segment_types = var('callout_segment_types') -%}
{%- set period = ['kpi_code', 'period_grain'] -%}

with scorecard as (
    select
        kpi_code,
        period_grain,
        period_start,
        segment_type,
        segment_value,
        numerator,
        denominator,
        value,
        unit,
        previous_value,
        is_complete_period
    from {{ ref('kpi_scorecard') }}
    where
        not is_suppressed
        and numerator is not null
        and denominator is not null
        and period_grain in ('month', 'ttm', 'quarter', 'year')
),

catalogue as (
    select
        kpi_code,
        case
            when unit = 'percent' or (min_value = -100 and max_value = 100) then 100.0
            else 1.0
        end as scale
    from {{ ref('kpi_catalogue') }}
),

latest_periods as (
    select
        scorecard.kpi_code,
        scorecard.period_grain,
        max(scorecard.period_start) as period_start
    from scorecard
    where scorecard.is_complete_period and scorecard.segment_type = 'total'
    group by scorecard.kpi_code, scorecard.period_grain
),

compared_periods as (
    select
        latest_periods.kpi_code,
        latest_periods.period_grain,
        latest_periods.period_start,
        cast(
            {{ dbt.dateadd(
                'month',
                "-1 * case latest_periods.period_grain when 'quarter' then 3"
                ~ " when 'year' then 12 else 1 end",
                'latest_periods.period_start'
            ) }}
            as date
        ) as previous_period_start,
        catalogue.scale
    from latest_periods
    inner join catalogue
        on latest_periods.kpi_code = catalogue.kpi_code
),

totals as (
    select
        compared_periods.kpi_code,
        compared_periods.period_grain,
        compared_periods.period_start,
        compared_periods.previous_period_start,
        compared_periods.scale,
        scorecard.unit,
        scorecard.value,
        scorecard.numerator,
        scorecard.denominator,
        previous_total.value as previous_value,
        previous_total.numerator as previous_numerator,
        previous_total.denominator as previous_denominator
    from compared_periods
    inner join scorecard
        on {{ keys_equal('compared_periods', 'scorecard', period + ['period_start']) }}
            and scorecard.segment_type = 'total'
    inner join scorecard as previous_total
        on {{ keys_equal('compared_periods', 'previous_total', period) }}
            and compared_periods.previous_period_start = previous_total.period_start
            and previous_total.segment_type = 'total'
    -- Both totals are ratios of their numerator and denominator (not so for an LTV).
    where
        scorecard.denominator > 0
        and previous_total.denominator > 0
        and abs(
            scorecard.value - compared_periods.scale * scorecard.numerator / scorecard.denominator
        ) <= 1e-11 * greatest(1.0, abs(scorecard.value))
        and abs(
            previous_total.value
            - compared_periods.scale * previous_total.numerator / previous_total.denominator
        ) <= 1e-11 * greatest(1.0, abs(previous_total.value))
),

segment_rows as (
    select
        totals.kpi_code,
        totals.period_grain,
        scorecard.segment_type,
        scorecard.segment_value,
        max(case when scorecard.period_start = totals.period_start then scorecard.numerator end)
            as numerator,
        max(case when scorecard.period_start = totals.period_start then scorecard.denominator end)
            as denominator,
        max(
            case
                when scorecard.period_start = totals.previous_period_start
                    then scorecard.numerator
            end
        ) as previous_numerator,
        max(
            case
                when scorecard.period_start = totals.previous_period_start
                    then scorecard.denominator
            end
        ) as previous_denominator
    from totals
    inner join scorecard
        on
            totals.kpi_code = scorecard.kpi_code
            and totals.period_grain = scorecard.period_grain
            and scorecard.period_start in (totals.period_start, totals.previous_period_start)
    where scorecard.segment_type in (
            {%- for segment_type in segment_types %}
                '{{ segment_type }}'{{ "," if not loop.last }}
            {%- endfor %}
        )
    group by totals.kpi_code, totals.period_grain, scorecard.segment_type, scorecard.segment_value
),

partitions as (
    -- The segment types whose numerators and denominators sum to the total's in both periods.
    select
        segment_rows.kpi_code,
        segment_rows.period_grain,
        segment_rows.segment_type
    from segment_rows
    inner join totals
        on {{ keys_equal('segment_rows', 'totals', period) }}
    group by
        segment_rows.kpi_code,
        segment_rows.period_grain,
        segment_rows.segment_type,
        totals.numerator,
        totals.denominator,
        totals.previous_numerator,
        totals.previous_denominator,
        totals.scale
    having
        totals.scale * abs(sum(coalesce(segment_rows.numerator, 0)) - totals.numerator)
        / totals.denominator <= 1e-11
        and totals.scale
        * abs(sum(coalesce(segment_rows.previous_numerator, 0)) - totals.previous_numerator)
        / totals.previous_denominator <= 1e-11
        and abs(sum(coalesce(segment_rows.denominator, 0)) - totals.denominator)
        <= 1e-9 * totals.denominator
        and abs(sum(coalesce(segment_rows.previous_denominator, 0)) - totals.previous_denominator)
        <= 1e-9 * totals.previous_denominator
),

shares_and_rates as (
    select
        segment_rows.kpi_code,
        segment_rows.period_grain,
        totals.period_start,
        totals.previous_period_start,
        segment_rows.segment_type,
        segment_rows.segment_value,
        totals.unit,
        totals.value,
        totals.previous_value,
        coalesce(segment_rows.denominator, 0) / totals.denominator as segment_share,
        coalesce(segment_rows.previous_denominator, 0) / totals.previous_denominator
            as previous_segment_share,
        case
            when segment_rows.denominator > 0
                then totals.scale * segment_rows.numerator / segment_rows.denominator
        end as segment_rate,
        case
            when segment_rows.previous_denominator > 0
                then totals.scale * segment_rows.previous_numerator
                    / segment_rows.previous_denominator
        end as previous_segment_rate
    from segment_rows
    inner join partitions
        on {{ keys_equal('segment_rows', 'partitions', period + ['segment_type']) }}
    inner join totals
        on {{ keys_equal('segment_rows', 'totals', period) }}
),

effects as (
    -- A segment absent in one period (no denominator) takes its other period's rate there:
    -- its whole contribution is mix (entering or leaving the total).
    select
        kpi_code,
        period_grain,
        period_start,
        previous_period_start,
        segment_type,
        segment_value,
        unit,
        value,
        previous_value,
        segment_share,
        previous_segment_share,
        segment_rate,
        previous_segment_rate,
        (segment_share + previous_segment_share) / 2
        * (
            coalesce(segment_rate, previous_segment_rate, 0)
            - coalesce(previous_segment_rate, segment_rate, 0)
        ) as rate_effect,
        (
            coalesce(segment_rate, previous_segment_rate, 0)
            + coalesce(previous_segment_rate, segment_rate, 0)
        ) / 2 * (segment_share - previous_segment_share) as mix_effect
    from shares_and_rates
),

worded as (
    select
        *,
        value - previous_value as value_change,
        rate_effect + mix_effect as total_effect,
        -- Ranked on the effect rounded to 9 places: segments whose effects tie exactly
        -- (equal rates and shares) keep their order by name even when a sum over the rows
        -- in another physical order rounds the last bits differently.
        row_number() over (
            partition by kpi_code, period_grain, segment_type
            order by {{ round_number('abs(rate_effect + mix_effect)', 9) }} desc, segment_value asc
        ) as effect_rank,
        case when unit = 'percent' then 'pp' else unit end as change_unit
    from effects
),

phrased as (
    -- The signs come from the effects rounded to 9 places: an effect that is zero but for
    -- the last bits of a sum (their sign differs between engines) reads '+0.0'.
    select
        *,
        {{ dbt.concat([
            "segment_type", "' '", "segment_value", "': '",
            "case when " ~ round_number('rate_effect', 9) ~ " >= 0 then '+' else '-' end",
            nyckeltal.rounded_text('abs(rate_effect)', 2), "' '", "change_unit",
            "' from its own rate, '",
            "case when " ~ round_number('mix_effect', 9) ~ " >= 0 then '+' else '-' end",
            nyckeltal.rounded_text('abs(mix_effect)', 2), "' '", "change_unit",
            "case when segment_share >= previous_segment_share then ' from a larger share'"
            ~ " else ' from a smaller share' end"
        ]) }} as effect_text
    from worded
),

summaries as (
    select
        kpi_code,
        period_grain,
        segment_type,
        {{ sorted_list('effect_text', order_by='effect_rank', delimiter="'; '") }} as top_effects
    from phrased
    where effect_rank <= 2
    group by kpi_code, period_grain, segment_type
),

final as (
    select
        phrased.kpi_code,
        phrased.period_grain,
        cast(phrased.period_start as date) as period_start,
        cast(phrased.previous_period_start as date) as previous_period_start,
        phrased.segment_type,
        phrased.segment_value,
        phrased.unit,
        cast(phrased.value as {{ type_double() }}) as value,
        cast(phrased.previous_value as {{ type_double() }}) as previous_value,
        cast(phrased.value_change as {{ type_double() }}) as value_change,
        cast(phrased.segment_share as {{ type_double() }}) as segment_share,
        cast(phrased.previous_segment_share as {{ type_double() }}) as previous_segment_share,
        cast(phrased.segment_rate as {{ type_double() }}) as segment_rate,
        cast(phrased.previous_segment_rate as {{ type_double() }}) as previous_segment_rate,
        cast(phrased.rate_effect as {{ type_double() }}) as rate_effect,
        cast(phrased.mix_effect as {{ type_double() }}) as mix_effect,
        cast(phrased.total_effect as {{ type_double() }}) as total_effect,
        cast(phrased.effect_rank as integer) as effect_rank,
        phrased.effect_text,
        {{ dbt.concat([
            "phrased.kpi_code",
            "case when phrased.value_change > 0 then ' rose ' when phrased.value_change < 0 then ' fell '"
            ~ " else ' was unchanged at ' end",
            nyckeltal.rounded_text('abs(phrased.value_change)', 2),
            "' '", "phrased.change_unit", "' by '", "phrased.segment_type", "': '",
            "summaries.top_effects"
        ]) }} as change_text
    from phrased
    inner join summaries
        on
            phrased.kpi_code = summaries.kpi_code
            and phrased.period_grain = summaries.period_grain
            and phrased.segment_type = summaries.segment_type
)

select * from final
