{#- The contract channel of a HubSpot original source (`hs_analytics_source`), docs/sources.md
    "HubSpot": paid search, paid social, email and referrals as such; organic search and
    organic social `organic`; everything else (direct traffic, other campaigns, offline
    sources, none) `other`. -#}
{% macro hubspot_channel(source_column) -%}
    case upper({{ source_column }})
        when 'ORGANIC_SEARCH' then 'organic'
        when 'SOCIAL_MEDIA' then 'organic'
        when 'PAID_SEARCH' then 'paid_search'
        when 'PAID_SOCIAL' then 'paid_social'
        when 'EMAIL_MARKETING' then 'email'
        when 'REFERRALS' then 'referral'
        when 'AI_REFERRALS' then 'referral'
        else 'other'
    end
{%- endmacro %}
