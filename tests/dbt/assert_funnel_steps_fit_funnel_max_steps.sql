{#- Singular test: the ordered funnel (int_visitor_funnel_steps_reached) follows at most the
    var funnel_max_steps steps; a seed funnel_steps with more rows needs a larger var.
    Returns one row when the seed has too many steps. -#}
with funnel_steps as (

    select step_order from {{ ref('funnel_steps') }}

),

final as (

    select count(step_order) as step_count
    from funnel_steps
    having count(step_order) > {{ var('funnel_max_steps') }}

)

select * from final
