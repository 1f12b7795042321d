{#- Campaign attribution, computed once: one row per non-void invoice or credit note of a
    customer whose crm acquisition_campaign_id is set, with that campaign. Amounts in the
    reporting currency. -#}
with customers as (

    select customer_id, acquisition_campaign_id from {{ ref('stg_crm__customers') }}

),

invoices as (

    select invoice_id, customer_id, issued_at, issued_on, is_void, amount
    from {{ ref('int_invoices_converted') }}

),

final as (

    select
        invoices.invoice_id,
        customers.acquisition_campaign_id as campaign_id,
        invoices.customer_id,
        invoices.issued_at,
        invoices.issued_on,
        invoices.amount
    from invoices
    inner join customers
        on invoices.customer_id = customers.customer_id
    where
        not invoices.is_void
        and customers.acquisition_campaign_id is not null

)

select * from final
