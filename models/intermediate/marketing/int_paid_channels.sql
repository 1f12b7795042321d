{#- The paid channels (docs/kpis.md#customer-acquisition-cost): one row per channel with at least
    one campaign. cac_paid, cpl and cost_per_mql publish channel rows only for these. -#}
with campaigns as (

    select channel from {{ ref('stg_marketing__campaigns') }}

),

final as (

    select distinct channel
    from campaigns
    where channel is not null

)

select * from final
