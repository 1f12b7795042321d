{#- One row per invoice or credit note, with its amount in the reporting currency at the
    rate in force on its UTC issue date.
    Daily partitioned (Dagster) on issued_on: a run with the vars partition_start_date /
    partition_end_date replaces exactly the invoices issued in that inclusive window; without
    them (and on the first build) the whole table is rebuilt. -#}
{{ config(pre_hook=["{{ delete_partition_window('issued_on') }}"]) }}

with invoices as (

    select
        invoice_id,
        customer_id,
        subscription_id,
        product_line,
        issued_at,
        issued_on,
        amount,
        currency,
        status
    from {{ ref('stg_billing__invoices') }}
    {{ partition_filter('issued_on') }}

),

final as (

    select
        invoices.invoice_id,
        invoices.customer_id,
        invoices.subscription_id,
        invoices.product_line,
        invoices.issued_at,
        invoices.issued_on,
        invoices.status,
        invoices.status = 'void' as is_void,
        invoices.amount < 0 as is_credit_note,
        {{ converted_money('invoices', 'amount') }}
    from invoices
    {{ join_fx_rate('invoices', 'invoices.issued_on') }}

)

select * from final
