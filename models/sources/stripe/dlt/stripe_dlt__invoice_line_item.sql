with invoices as (

    select
        id,
        _dlt_id
    from {{ stripe_dlt_source('invoices', {'id': 'varchar', '_dlt_id': 'varchar'}) }}
        as landed_invoices

),

lines as (

    select
        id,
        price__id,
        plan__id,
        amount,
        _dlt_parent_id
    from {{ stripe_dlt_source('invoices__lines__data', {
        'id': 'varchar',
        'price__id': 'varchar',
        'plan__id': 'varchar',
        'amount': 'bigint',
        '_dlt_parent_id': 'varchar',
    }) }} as landed_lines

)

select
    lines.id,
    invoices.id as invoice_id,
    lines.price__id as price_id,
    lines.plan__id as plan_id,
    lines.amount
from lines
inner join invoices on lines._dlt_parent_id = invoices._dlt_id
