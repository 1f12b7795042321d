"""The deterministic demo dataset: a Swedish B2B SaaS company, up to 2026-11-15.

The story
---------
*Fjällkod AB* (Stockholm) sells two product lines, ``analytics`` (dashboards) and
``automation`` (workflows), on three tiers each (starter, pro, enterprise), billed monthly or
annually, to companies in the Nordics, DACH, the UK & Ireland and North America (launched in
March 2025). Customers pay in their own currency: SEK in Sweden, USD in North America, EUR
everywhere else. The price book is in EUR.

On the first day of the window (2024-09-01 for the bundled demo) the company moved to its
current CRM and billing systems: the *opening book* was imported that day (created and
subscribed at 00:00:00, no lead), so acquisition KPIs of the first month count the whole book.
Annual contracts of the opening book keep their own renewal dates. From then on every month
marketing runs campaigns (`marketing`), leads qualify and convert (`crm`), customers expand,
contract, cross-sell, churn and come back (`billing`), answer NPS surveys (`crm`), employees
join and leave (`hr`), and visitors browse the web site (`web`).

The window is fixed (never today's date): it ends on 2026-11-15 23:59:59, the last month
deliberately incomplete; payroll ends with October 2026 (November's run is on the 25th).
Exchange rates start a month before the first transaction (`fx`).

The hard cases are listed in `hard_cases` (the scripted ones) and marked ``HARD CASE`` where
they are made: void invoices and credit notes, three currencies with rates on business days
only, churn and return, annual plans, upgrades at the same instant with proration credits,
contractions, an MRR tie, mid-month hires and leavers, part-time FTE, out-of-order funnel
steps and visitors across months, engagement groups below the anonymity threshold, market
sizes in two grains, running and recent campaigns, leads without campaign (also paid search),
a refund as a negative expense, customers signed in the last days without a subscription yet.

Sizes: `scales.SCALES` (tiny, demo, s, m, l) or a number (a factor on the demo's window).
Determinism: one numpy stream per table family, seeded from the seed and the family's name;
rows are sorted and ids numbered in that order; money is exact (whole cents). The same seed
and scale give byte-identical files (given the same numpy and pyarrow, pinned in
requirements.lock). Everything is vectorised; web events and invoices are written in chunks.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from nyckeltal.contract import TABLES
from nyckeltal.demo import billing, crm, fx, hr, marketing, web
from nyckeltal.demo.common import DEFAULT_SEED, END, Window, id_width, stream
from nyckeltal.demo.scales import SCALES, Scale, resolve
from nyckeltal.demo.writer import ROW_GROUP, Output, path_for

START = Window(SCALES["demo"].months).start  # the first day of the bundled demo
INVOICE_CHUNK = 2_000_000

__all__ = ["DEFAULT_SEED", "END", "SCALES", "START", "Scale", "generate"]


def generate(
    out_dir: Path, scale: str | float | Scale = "demo", seed: int | None = None
) -> list[Path]:
    """Write the dataset (one file per contract table) into `out_dir`; the paths written.

    `scale` is a name of `SCALES` or a positive number (a factor on the demo); `seed`
    defaults to DEFAULT_SEED. The same arguments give byte-identical files.
    """
    size = resolve(scale)
    seed = DEFAULT_SEED if seed is None else seed
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    window = Window(size.months)
    paths = {t.key: path_for(out_dir, t.key, size.parquet or t.key == "marketing.web_events")
             for t in TABLES}  # fmt: skip
    out = Output(small=not size.parquet)
    try:
        _generate(out, paths, window, size, seed)
    finally:
        out.close()
    return [paths[table.key] for table in TABLES]


def _generate(out: Output, paths: dict[str, Path], window: Window, size: Scale, seed: int) -> None:
    def save(key: str, table: pa.Table) -> None:
        out.write(paths[key], key, table)

    plan = marketing.campaigns(stream(seed, "campaigns"), window, size.factor)
    spend = marketing.ad_spend(stream(seed, "ad_spend"), window, plan)
    save("marketing.campaigns", plan.table())
    save("marketing.ad_spend", spend.table(plan))
    leads = crm.leads(stream(seed, "leads"), window, size.factor, plan, spend)
    customers = crm.customers(stream(seed, "customers"), window, size.factor, leads)
    save("crm.leads", leads.table(plan.width, customers.width))
    save("crm.customers", customers.table(plan.width, id_width(len(leads.created))))
    book = billing.simulate(stream(seed, "lifecycle"), window, customers)
    order, sub_numbers = billing.subscription_order(book)
    save("billing.subscriptions", billing.subscriptions_table(book, order, customers.width))
    nps = crm.nps_responses(
        stream(seed, "nps"), window, customers, book.customer, book.started, book.ended
    )
    save("crm.nps_responses", nps)
    invoices = billing.invoices(stream(seed, "invoices"), window, book, sub_numbers)
    _write_invoices(out, paths["billing.invoices"], invoices, book, customers)
    del invoices, book, order, sub_numbers
    staff = hr.employees(stream(seed, "employees"), window, size.factor)
    save("hr.employees", hr.employees_table(staff))
    save("hr.payroll", hr.payroll(stream(seed, "payroll"), window, staff))
    save("hr.engagement_responses", hr.engagement(stream(seed, "engagement"), window, staff))
    save("billing.plans", billing.plans())
    save("billing.fx_rates", fx.fx_rates(stream(seed, "fx_rates"), window))
    save("marketing.expenses", marketing.expenses(stream(seed, "expenses"), window, size.factor))
    sizes = marketing.market_sizes(stream(seed, "market_sizes"), window, size.factor)
    save("marketing.market_sizes", sizes)
    site = web.Site(stream(seed, "web_events"), window, size.factor, size.visitors, leads, plan,
                    spend)  # fmt: skip
    web.write_web_events(out, paths["marketing.web_events"], site)


def _write_invoices(out: Output, path: Path, invoices, book, customers) -> None:
    """The largest table but web events: built and written in chunks when in Parquet."""
    widths = {"inv": id_width(len(invoices)), "cus": customers.width, "sub": id_width(book.n)}
    columns = invoices.columns
    key = "billing.invoices"
    if path.suffix == ".csv":
        out.write(path, key, billing.invoice_table(columns, 1, widths, customers))
        return
    first = billing.invoice_table({k: v[:1] for k, v in columns.items()}, 1, widths, customers)
    writer = out.parquet_writer(path, first.schema)
    previous = None
    for low in range(0, len(invoices), INVOICE_CHUNK):
        chunk = {name: values[low : low + INVOICE_CHUNK] for name, values in columns.items()}
        table = billing.invoice_table(chunk, low + 1, widths, customers)
        if previous is not None:
            previous.result()  # at most two chunks in memory
        previous = out.submit(writer.write_table, table, ROW_GROUP)
    out.submit(writer.close)
