with source as (

    select * from {{ source('hr', 'engagement_responses') }}

),

renamed as (

    select
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(survey_id as {{ dbt.type_string() }}) as survey_id,
        cast(survey_date as date) as survey_date,
        cast(respondent_id as {{ dbt.type_string() }}) as respondent_id,
        cast(department as {{ dbt.type_string() }}) as department,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(question_id as {{ dbt.type_string() }}) as question_id,
        cast(score as {{ dbt.type_int() }}) as score
    from source

)

select * from renamed
