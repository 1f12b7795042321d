{#- Each churn segmentation (plan, product_line, customer_segment) partitions the customers
    at start: per month and KPI, the segments' numerators (churned customers, lost MRR,
    retained MRR) and denominators (customers at start, MRR at start) add up to the total
    row's. Returns the offending months, KPIs and segment types. -#}
with churn_kpi_rows as (

    select kpi_code, period_start, segment_type, numerator, denominator
    from {{ ref('int_kpi_rows_churn') }}

),

totals as (

    select kpi_code, period_start, numerator, denominator
    from churn_kpi_rows
    where segment_type = 'total'

),

segment_sums as (

    select
        kpi_code,
        period_start,
        segment_type,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from churn_kpi_rows
    where segment_type != 'total'
    group by kpi_code, period_start, segment_type

),

segment_types as (

    select distinct segment_type
    from churn_kpi_rows
    where segment_type != 'total'

),

expected_sums as (

    select
        totals.kpi_code,
        totals.period_start,
        segment_types.segment_type,
        totals.numerator,
        totals.denominator
    from totals
    cross join segment_types

),

final as (

    select
        expected_sums.kpi_code,
        expected_sums.period_start,
        expected_sums.segment_type,
        expected_sums.numerator as total_numerator,
        coalesce(segment_sums.numerator, 0) as segment_numerator,
        expected_sums.denominator as total_denominator,
        coalesce(segment_sums.denominator, 0) as segment_denominator
    from expected_sums
    left join segment_sums
        on
            expected_sums.kpi_code = segment_sums.kpi_code
            and expected_sums.period_start = segment_sums.period_start
            and expected_sums.segment_type = segment_sums.segment_type
    where
        abs(expected_sums.numerator - coalesce(segment_sums.numerator, 0)) > 0.000001
        or abs(expected_sums.denominator - coalesce(segment_sums.denominator, 0)) > 0.000001

)

select * from final
