{%- set segment_types = var('callout_segment_types') -%}
{%- set period = ['kpi_code', 'period_grain', 'period_start'] -%}

with scorecard as (
    select
        kpi_code, period_grain, period_start, segment_type, segment_value, denominator, value, unit
    from {{ ref('kpi_scorecard_series') }}
),

totals as (
    select
        {{ period | join(', ') }},
        denominator as total_denominator,
        value as total_value
    from scorecard
    where segment_type = 'total'
),

segments_against_total as (
    select
        scorecard.kpi_code,
        scorecard.period_grain,
        scorecard.period_start,
        scorecard.segment_type,
        scorecard.segment_value,
        scorecard.unit,
        scorecard.value,
        totals.total_value,
        scorecard.denominator,
        totals.total_denominator,
        (scorecard.value - totals.total_value) / abs(totals.total_value) as relative_deviation,
        scorecard.denominator / totals.total_denominator as denominator_share
    from scorecard
    inner join totals
        on {{ keys_equal('scorecard', 'totals', period) }}
    where
        scorecard.segment_type in (
            {%- for segment_type in segment_types %}
                '{{ segment_type }}'{{ "," if not loop.last }}
            {%- endfor %}
        )
        and totals.total_value <> 0
        and totals.total_denominator > 0
        and scorecard.denominator >= {{ var('callout_min_denominator') }}
        -- A segment of a partition is at most its whole (not so for a CAC or an LTV).
        and scorecard.denominator <= totals.total_denominator
),

worded as (
    select
        {{ period | join(', ') }},
        segment_type,
        segment_value,
        unit,
        value,
        total_value,
        denominator,
        total_denominator,
        relative_deviation,
        denominator_share,
        abs(relative_deviation) * denominator_share as callout_score,
        row_number() over (
            partition by {{ period | join(', ') }}
            order by
                abs(relative_deviation) * denominator_share desc,
                segment_type asc,
                segment_value asc
        ) as callout_rank,
        case
            when total_value > 0 and value >= 0
                then {{ dbt.concat([
                    "kpi_code", "' in '", "segment_type", "' '", "segment_value", "' is '",
                    nyckeltal.rounded_text('value / total_value', 1),
                    "'x the " ~ dbt.escape_single_quotes("company's") ~ " ('",
                    nyckeltal.rounded_text('value', 2), "' vs '",
                    nyckeltal.rounded_text('total_value', 2), "' '", "unit",
                    "', '", "cast(cast(" ~ nyckeltal.round_number('100 * denominator_share', 0) ~ " as integer) as " ~ dbt.type_string() ~ ")",
                    "'% of the base)'"
                ]) }}
            else {{ dbt.concat([
                    "kpi_code", "' in '", "segment_type", "' '", "segment_value", "' is '",
                    nyckeltal.rounded_text('abs(value - total_value)', 2),
                    "' '", "unit",
                    "case when value > total_value then ' above' else ' below' end",
                    "' the " ~ dbt.escape_single_quotes("company's") ~ " ('",
                    nyckeltal.rounded_text('value', 2), "' vs '",
                    nyckeltal.rounded_text('total_value', 2),
                    "', '", "cast(cast(" ~ nyckeltal.round_number('100 * denominator_share', 0) ~ " as integer) as " ~ dbt.type_string() ~ ")",
                    "'% of the base)'"
                ]) }}
        end as callout_text
    from segments_against_total
    where abs(relative_deviation) >= {{ var('callout_min_relative_deviation') }}
),

final as (
    select
        {{ period | join(', ') }},
        segment_type,
        segment_value,
        unit,
        cast(value as {{ type_double() }}) as value,
        cast(total_value as {{ type_double() }}) as total_value,
        cast(denominator as {{ type_double() }}) as denominator,
        cast(total_denominator as {{ type_double() }}) as total_denominator,
        cast(relative_deviation as {{ type_double() }}) as relative_deviation,
        cast(denominator_share as {{ type_double() }}) as denominator_share,
        cast(callout_score as {{ type_double() }}) as callout_score,
        cast(callout_rank as integer) as callout_rank,
        callout_text
    from worded
)

select * from final
