{{ config(alias='invoices') }}

{%- set columns = [
    'invoice_id', 'customer_id', 'subscription_id', 'product_line',
    'issued_at', 'amount', 'currency', 'status'
] %}

with invoices as (

    select
        id,
        customer_id,
        subscription_id,
        created,
        currency,
        status,
        total,
        tax
    from {{ stripe_landed('invoice') }}
    where
        coalesce(livemode, true)
        and not coalesce(is_deleted, false)
        and status <> 'draft'

),

line_items as (

    select
        id,
        invoice_id,
        coalesce(price_id, plan_id) as price_id,
        amount
    from {{ stripe_landed('invoice_line_item') }}

),

credit_notes as (

    select
        id,
        invoice_id,
        created,
        currency,
        subtotal,
        discount_amount,
        status
    from {{ stripe_landed('credit_note') }}
    where coalesce(livemode, true)

),

prices as (

    select
        price_id,
        product_line
    from {{ ref('stripe_fivetran__prices') }}

),

customer_ids as (

    select
        stripe_customer_id,
        customer_id
    from {{ ref('stripe_fivetran__customer_ids') }}

),

subscriptions as (

    select subscription_id
    from {{ ref('stripe_fivetran__subscriptions') }}

),

invoice_product_lines as (

    select
        line_items.invoice_id,
        prices.product_line,
        row_number() over (
            partition by line_items.invoice_id
            order by abs(line_items.amount) desc, line_items.id asc
        ) as line_rank
    from line_items
    inner join prices on line_items.price_id = prices.price_id

),

invoices_mapped as (

    select
        invoices.id as invoice_id,
        coalesce(customer_ids.customer_id, invoices.customer_id) as customer_id,
        subscriptions.subscription_id,
        coalesce(invoice_product_lines.product_line, 'unassigned') as product_line,
        invoices.created as issued_at,
        {{ stripe_major_units(
            'invoices.total - coalesce(invoices.tax, 0)', 'invoices.currency'
        ) }} as amount,
        upper(invoices.currency) as currency,
        invoices.status
    from invoices
    left join invoice_product_lines
        on invoices.id = invoice_product_lines.invoice_id and invoice_product_lines.line_rank = 1
    left join customer_ids on invoices.customer_id = customer_ids.stripe_customer_id
    left join subscriptions on invoices.subscription_id = subscriptions.subscription_id

),

credit_notes_mapped as (

    select
        credit_notes.id as invoice_id,
        invoices_mapped.customer_id,
        invoices_mapped.subscription_id,
        invoices_mapped.product_line,
        credit_notes.created as issued_at,
        -1 * {{ stripe_major_units(
            'credit_notes.subtotal - coalesce(credit_notes.discount_amount, 0)',
            'credit_notes.currency'
        ) }} as amount,
        upper(credit_notes.currency) as currency,
        case when credit_notes.status = 'void' then 'void' else 'paid' end as status
    from credit_notes
    inner join invoices_mapped on credit_notes.invoice_id = invoices_mapped.invoice_id

),

unioned as (

    select {{ columns | join(', ') }} from invoices_mapped
    union all
    select {{ columns | join(', ') }} from credit_notes_mapped

),

final as (

    select
        invoice_id,
        customer_id,
        subscription_id,
        product_line,
        cast(issued_at as {{ dbt.type_timestamp() }}) as issued_at,
        cast(amount as decimal(18, 4)) as amount,
        currency,
        status,
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as _loaded_at
    from unioned

)

select
    invoice_id,
    customer_id,
    subscription_id,
    product_line,
    issued_at,
    amount,
    currency,
    status,
    _loaded_at
from final
