{#- Every kpi_targets row has its warning level on the worse side of its target (or equal):
    below it for higher_is_better, above it for lower_is_better. Fails with the rows that
    do not. -#}
with kpi_targets as (

    select kpi_code, segment_type, segment_value, target_value, warning_value, direction
    from {{ ref('kpi_targets') }}

),

final as (

    select * from kpi_targets
    where
        (direction = 'higher_is_better' and warning_value > target_value)
        or (direction = 'lower_is_better' and warning_value < target_value)

)

select * from final
