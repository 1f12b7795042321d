{% test unique_combination_of_columns(model, combination_of_columns) %}
{#- Fails with one row per combination of the given columns that occurs more than once. -#}
{%- set column_list = combination_of_columns | join(', ') %}

with duplicated_combinations as (

    select
        {{ column_list }},
        count(*) as occurrences
    from {{ model }}
    group by {{ column_list }}
    having count(*) > 1

)

select * from duplicated_combinations

{% endtest %}
