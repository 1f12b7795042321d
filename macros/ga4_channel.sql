{#- The contract channel of a GA4 session's source and medium (lower case text): GA4's
    default channel group (its documented rules, in their order; the site lists are the
    common sites of GA4's source categories), then that group as a contract channel
    (docs/sources.md "GA4" has the table). -#}
{% macro ga4_channel(source, medium) -%}
    {%- set search = 'google|bing|yahoo|duckduckgo|baidu|yandex|ecosia|naver|ask|aol|startpage|qwant|seznam|sogou|daum|brave' -%}
    {%- set social = 'facebook|fb|instagram|ig|linkedin|lnkd|twitter|t|x|tiktok|pinterest|reddit|snapchat|quora|threads|tumblr|xing|vk|weibo|whatsapp|messenger|discord|mastodon' -%}
    {%- set video = 'youtube|vimeo|twitch|dailymotion|wistia' -%}
    {%- set site = "regexp_full_match(coalesce(" ~ source ~ ", ''), '(.*\\.)?(%s)(\\.[a-z]+)*')" -%}
    {%- set paid = "regexp_full_match(coalesce(" ~ medium ~ ", ''), '.*cp.*|ppc|retargeting|paid.*')" -%}
    case (
        case
            when
                coalesce({{ source }}, '(direct)') = '(direct)'
                and coalesce({{ medium }}, '(none)') in ('(none)', '(not set)')
                then 'Direct'
            when {{ site % search }} and {{ paid }} then 'Paid Search'
            when {{ site % social }} and {{ paid }} then 'Paid Social'
            when {{ site % video }} and {{ paid }} then 'Paid Video'
            when {{ medium }} in ('display', 'banner', 'expandable', 'interstitial', 'cpm')
                then 'Display'
            when {{ paid }} then 'Paid Other'
            when
                {{ site % social }}
                or {{ medium }} in ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')
                then 'Organic Social'
            when {{ site % video }} or regexp_matches({{ medium }}, 'video') then 'Organic Video'
            when {{ site % search }} or {{ medium }} = 'organic' then 'Organic Search'
            when
                regexp_matches({{ source }}, 'email|e-mail|e_mail|e mail')
                or regexp_matches({{ medium }}, 'email|e-mail|e_mail|e mail')
                then 'Email'
            when {{ medium }} = 'affiliate' then 'Affiliates'
            when {{ medium }} in ('referral', 'app', 'link') then 'Referral'
            when {{ medium }} = 'audio' then 'Audio'
            when {{ source }} = 'sms' or {{ medium }} = 'sms' then 'SMS'
            when
                regexp_matches({{ medium }}, '(mobile|notification)')
                or {{ medium }} like '%push'
                or {{ source }} = 'firebase'
                then 'Mobile Push Notifications'
            else 'Unassigned'
        end
    )
        when 'Paid Search' then 'paid_search'
        when 'Paid Social' then 'paid_social'
        when 'Organic Social' then 'organic'
        when 'Organic Video' then 'organic'
        when 'Organic Search' then 'organic'
        when 'Email' then 'email'
        when 'Referral' then 'referral'
        when 'Affiliates' then 'partner'
        else 'other'
    end
{%- endmacro %}
