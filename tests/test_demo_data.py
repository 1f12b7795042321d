"""The demo generator (`nyckeltal.demo`) and the bundled demo dataset (`seeds/demo`).

The generated files are read back with DuckDB, typed strictly after the contract, and checked
against `nyckeltal.contract` (keys, enumerations, ranges, foreign keys, exchange rates) and for
each deliberate hard case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from nyckeltal.context import RunContext
from nyckeltal.contract import CHANNELS, TABLES, ForeignKey, Table
from nyckeltal.demo import DEFAULT_SEED, END, START, generate
from nyckeltal.demo.scales import SCALES, Scale, resolve
from nyckeltal.loader import load_directory

SHIPPED = Path(__file__).resolve().parent.parent / "seeds" / "demo"
MAX_BYTES = 5_000_000
LAST_INSTANT = f"{END.isoformat()} 23:59:59"
FUNNEL = {"page_view", "signup", "trial_start", "checkout_start", "purchase"}
FILE_NAMES = [
    f"{table.file_stem}.{'parquet' if table.key == 'marketing.web_events' else 'csv'}"
    for table in TABLES
]


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _relation(table: Table, folder: Path) -> str:
    """The file of `table` read with the contract's types (strict: a bad value fails)."""
    csv_path = folder / f"{table.file_stem}.csv"
    if csv_path.exists():
        columns = ", ".join(f"'{c.name}': '{c.type}'" for c in table.columns)
        return (
            f"read_csv('{csv_path}', header = true, auto_detect = false, delim = ',', "
            f"columns = {{{columns}}}, dateformat = '%Y-%m-%d', "
            "timestampformat = '%Y-%m-%d %H:%M:%S')"
        )
    casts = ", ".join(f"cast({c.name} as {c.type}) as {c.name}" for c in table.columns)
    return f"(select {casts} from read_parquet('{folder / table.file_stem}.parquet'))"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo_fresh")
    generate(folder)
    return folder


@pytest.fixture(scope="module")
def db(fresh: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The freshly generated tables as `<system>.<table>` (equal to the shipped ones)."""
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for table in TABLES:
        connection.execute(f"create schema if not exists {table.system}")
        connection.execute(f"create table {table.key} as select * from {_relation(table, fresh)}")
    yield connection
    connection.close()


def _one(db: duckdb.DuckDBPyConnection, sql: str) -> object:
    return db.execute(sql).fetchone()[0]


def _count(db: duckdb.DuckDBPyConnection, relation: str, condition: str = "true") -> int:
    return _one(db, f"select count(*) from {relation} where {condition}")


def _values(db: duckdb.DuckDBPyConnection, sql: str) -> set[object]:
    return {row[0] for row in db.execute(sql).fetchall()}


# --- determinism, shipped files, size, scale --------------------------------------------------


def test_same_seed_gives_byte_identical_files(fresh: Path, tmp_path: Path) -> None:
    written = generate(tmp_path, seed=DEFAULT_SEED)
    assert [path.name for path in written] == FILE_NAMES
    assert _contents(tmp_path) == _contents(fresh)


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "one", scale=0.2, seed=1)
    generate(tmp_path / "two", scale=0.2, seed=2)
    one, two = _contents(tmp_path / "one"), _contents(tmp_path / "two")
    assert one["crm__leads.csv"] != two["crm__leads.csv"]
    assert one["billing__plans.csv"] == two["billing__plans.csv"]  # the price list is fixed


def test_shipped_demo_dataset_is_a_fresh_generate(fresh: Path) -> None:
    shipped, generated = _contents(SHIPPED), _contents(fresh)
    assert sorted(shipped) == sorted(generated) == sorted(FILE_NAMES)
    stale = [name for name in generated if shipped[name] != generated[name]]
    assert not stale, f"seeds/demo is stale, run `nyckeltal generate --out seeds/demo`: {stale}"


def test_shipped_demo_dataset_is_small() -> None:
    assert sum(path.stat().st_size for path in SHIPPED.iterdir()) < MAX_BYTES


def test_scale_multiplies_the_volumes(db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    generate(tmp_path, scale=3)
    expected = {"crm.customers": (2.5, 3.5), "crm.leads": (2.7, 3.3),
                "marketing.web_events": (2.7, 3.3), "billing.invoices": (2.5, 3.5)}  # fmt: skip
    for table in TABLES:
        if table.key in expected:
            low, high = expected[table.key]
            ratio = _count(db, _relation(table, tmp_path)) / _count(db, table.key)
            assert low < ratio < high, (table.key, ratio)


def test_scale_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0)
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale="xl")


def test_named_scales() -> None:
    assert list(SCALES) == ["tiny", "demo", "s", "m", "l"]
    assert resolve("demo") == resolve(1) == resolve("1") == SCALES["demo"]
    assert not SCALES["demo"].parquet and SCALES["s"].parquet
    assert SCALES["l"].months == 36 and SCALES["demo"].months == 27
    assert resolve(2.5).factor == 2.5 and resolve(2.5).months == 27


def test_parquet_scales_are_deterministic_and_load(tmp_path: Path) -> None:
    """Parquet everywhere and a longer window (like `l`), at a tiny size: the loader takes it."""
    tiny = Scale("tiny", 0.3, 0.3, 30)
    written = generate(tmp_path / "one", scale=tiny)
    generate(tmp_path / "two", scale=tiny)
    assert {path.suffix for path in written} == {".parquet"}
    assert _contents(tmp_path / "one") == _contents(tmp_path / "two")
    report = load_directory(
        tmp_path / "one", RunContext.build(warehouse=tmp_path / "warehouse.duckdb"), lambda _: None
    )
    assert len(report.tables) == len(TABLES)
    assert all(table.rows > 0 for table in report.tables)
    first = _one(
        duckdb.connect(), f"select min(issued_at) from '{tmp_path}/one/billing__invoices.parquet'"
    )
    assert str(first) == "2024-06-01 00:00:00"  # 30 months up to 2026-11-15


# --- the contract -----------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.key)
def test_rows_satisfy_the_contract(db: duckdb.DuckDBPyConnection, table: Table) -> None:
    assert _count(db, table.key) > 0
    key = ", ".join(table.primary_key)
    assert _count(db, f"(select {key} from {table.key} group by all having count(*) > 1)") == 0
    for column in table.columns:
        if not column.nullable:
            assert _count(db, table.key, f"{column.name} is null") == 0, column.name
        if column.accepted_values:
            values = _values(db, f"select distinct {column.name} from {table.key}")
            assert values <= {*column.accepted_values, None}, (column.name, values)
        if column.min_value is not None:
            low = _one(db, f"select min({column.name}) from {table.key}")
            assert low > column.min_value if column.strict_min else low >= column.min_value
        if column.max_value is not None:
            assert _one(db, f"select max({column.name}) from {table.key}") <= column.max_value


@pytest.mark.parametrize(
    ("table", "foreign_key"),
    [(table, foreign_key) for table in TABLES for foreign_key in table.foreign_keys],
    ids=[f"{table.key}.{fk.column}" for table in TABLES for fk in table.foreign_keys],
)
def test_foreign_keys_resolve(
    db: duckdb.DuckDBPyConnection, table: Table, foreign_key: ForeignKey
) -> None:
    column, parent = foreign_key.column, foreign_key.references
    orphan = f"{column} is not null and {column} not in "
    orphan += f"(select {foreign_key.referenced_column} from {parent})"
    assert _count(db, table.key, orphan) == 0


def test_ids_are_prefixed_strings(db: duckdb.DuckDBPyConnection) -> None:
    prefixes = {"crm.customers": ("customer_id", "cus_"), "crm.leads": ("lead_id", "lead_"),
                "billing.subscriptions": ("subscription_id", "sub_"),
                "billing.invoices": ("invoice_id", "inv_"),
                "hr.employees": ("employee_id", "emp_"),
                "marketing.campaigns": ("campaign_id", "cmp_"),
                "marketing.web_events": ("event_id", "evt_")}  # fmt: skip
    for relation, (column, prefix) in prefixes.items():
        assert _count(db, relation, f"not starts_with({column}, '{prefix}')") == 0
    assert _one(db, "select min(customer_id) from crm.customers") == "cus_0001"


def test_exactly_three_currencies_each_with_a_rate_in_time(db: duckdb.DuckDBPyConnection) -> None:
    currencies: set[object] = set()
    for table in TABLES:
        if table.currency_column is None:
            continue
        currencies |= _values(db, f"select distinct currency from {table.key}")
        if table.conversion_date_column:
            no_rate = (
                "t.currency <> 'EUR' and not exists (select 1 from billing.fx_rates as r "
                "where r.currency = t.currency "
                f"and r.rate_date <= cast(t.{table.conversion_date_column} as date))"
            )
            assert _count(db, f"{table.key} as t", no_rate) == 0, table.key
    assert currencies == {"EUR", "SEK", "USD"}
    assert _values(db, "select distinct currency from billing.fx_rates") == {"SEK", "USD"}
    first_rate = _one(db, "select min(rate_date) from billing.fx_rates")
    first_invoice = _one(db, "select min(issued_at) from billing.invoices")
    assert first_rate < first_invoice.date() == START


def test_fx_rates_only_on_business_days(db: duckdb.DuckDBPyConnection) -> None:
    """HARD CASE: no rate on weekends and holidays; the first day of data is a Sunday."""
    assert _count(db, "billing.fx_rates", "dayofweek(rate_date) in (0, 6)") == 0
    dates = {day.isoformat() for day in _values(db, "select rate_date from billing.fx_rates")}
    assert "2024-08-30" in dates  # a Friday
    assert not {"2024-08-31", "2024-09-01", "2025-12-25", "2025-04-18", "2026-01-01"} & dates
    sek = _values(db, "select rate_to_reporting from billing.fx_rates where currency = 'SEK'")
    usd = _values(db, "select rate_to_reporting from billing.fx_rates where currency = 'USD'")
    assert 0.07 < min(sek) < max(sek) < 0.11 and 0.8 < min(usd) < max(usd) < 1.1


def test_fixed_window_with_an_incomplete_last_month(db: duckdb.DuckDBPyConnection) -> None:
    dated = {"billing.invoices": "issued_at", "billing.subscriptions": "started_at",
             "crm.leads": "created_at", "crm.customers": "created_at",
             "crm.nps_responses": "responded_at", "marketing.web_events": "occurred_at",
             "marketing.ad_spend": "spend_date", "marketing.expenses": "booked_on",
             "hr.engagement_responses": "survey_date", "hr.payroll": "pay_month"}  # fmt: skip
    latest = []
    for relation, column in dated.items():
        low, high = db.execute(f"select min({column}), max({column}) from {relation}").fetchone()
        assert START.isoformat() <= str(low) and str(high) <= LAST_INSTANT, (relation, low, high)
        latest.append(str(high)[:10])
    assert max(latest) == END.isoformat()  # the as-of date: 2026-11-15, mid-month
    assert str(_one(db, "select max(ended_at) from billing.subscriptions")) <= LAST_INSTANT
    assert str(_one(db, "select max(qualified_at) from crm.leads")) <= LAST_INSTANT
    # November's payroll runs on the 25th, after the extract: payroll ends with October.
    assert str(_one(db, "select max(pay_month) from hr.payroll")) == "2026-10-01"
    assert _count(db, "hr.payroll", "day(pay_month) <> 1") == 0
    late = f"terminated_on < hired_on or hired_on > '{END}' or terminated_on > '{END}'"
    assert _count(db, "hr.employees", late) == 0


# --- coherence across systems -----------------------------------------------------------------


def test_customers_keep_their_lead_channel_and_campaign(db: duckdb.DuckDBPyConnection) -> None:
    pairs = "crm.customers as c full outer join crm.leads as l on l.lead_id = c.lead_id"
    mismatch = """(c.lead_id is not null or l.converted_customer_id is not null)
        and (c.customer_id is distinct from l.converted_customer_id
             or c.acquisition_channel is distinct from l.channel
             or c.acquisition_campaign_id is distinct from l.campaign_id
             or c.created_at < l.qualified_at or l.qualified_at < l.created_at)"""
    assert _count(db, pairs, mismatch) == 0
    converted = _count(db, "crm.leads", "converted_customer_id is not null")
    assert 0.03 < converted / _count(db, "crm.leads") < 0.15
    # HARD CASE: leads without campaign, also on a paid channel (lost UTM tags).
    assert _count(db, "crm.leads", "campaign_id is null and channel = 'paid_search'") > 0
    organic = "acquisition_campaign_id is null and acquisition_channel in ('organic', 'referral')"
    assert _count(db, "crm.customers", organic) > 0


def test_campaigns_agree_with_leads_events_and_spend(db: duckdb.DuckDBPyConnection) -> None:
    for relation in ("crm.leads", "marketing.web_events"):
        joined = f"{relation} as t join marketing.campaigns as c using (campaign_id)"
        assert _count(db, joined, "t.channel <> c.channel") == 0
    joined = "marketing.ad_spend as a join marketing.campaigns as c using (campaign_id)"
    outside = f"a.spend_date < c.started_on or a.spend_date > coalesce(c.ended_on, '{END}')"
    assert _count(db, joined, outside) == 0
    # Campaign ids on the web only for channels that have campaigns.
    unpaid = "channel in ('organic', 'referral', 'other')"
    assert _count(db, "marketing.web_events", f"not {unpaid} and campaign_id is not null") > 0
    assert _count(db, "marketing.web_events", f"{unpaid} and campaign_id is not null") == 0


def test_billing_is_consistent(db: duckdb.DuckDBPyConnection) -> None:
    assert _count(db, "billing.subscriptions", "ended_at <= started_at") == 0
    # Subscriptions and invoices are in the customer's currency.
    local = "case c.country_code when 'SE' then 'SEK' when 'US' then 'USD' "
    local += "when 'CA' then 'USD' else 'EUR' end"
    for relation in ("billing.subscriptions", "billing.invoices"):
        joined = f"{relation} as t join crm.customers as c using (customer_id)"
        assert _count(db, joined, f"t.currency <> {local}") == 0
    # Periodic invoices: the plan's product line; mrr a month, 12 x mrr a year.
    joined = (
        "billing.invoices as i join billing.subscriptions as s using (subscription_id) "
        "join billing.plans as p using (plan_id)"
    )
    wrong = "i.amount > 0 and (i.product_line <> p.product_line or i.amount <> "
    wrong += "case p.billing_interval when 'year' then 12 * s.mrr else s.mrr end)"
    assert _count(db, joined, wrong) == 0


def test_payroll_follows_employment(db: duckdb.DuckDBPyConnection) -> None:
    joined = "hr.payroll as p join hr.employees as e using (employee_id)"
    assert (
        _count(db, joined, "p.pay_month > e.terminated_on or last_day(p.pay_month) < e.hired_on")
        == 0
    )
    months = "hr.employees as e cross join (select distinct pay_month from hr.payroll) as m"
    unpaid = """e.hired_on <= last_day(m.pay_month)
        and coalesce(e.terminated_on, date '9999-12-31') >= m.pay_month
        and not exists (select 1 from hr.payroll as p
                        where p.employee_id = e.employee_id and p.pay_month = m.pay_month)"""
    assert _count(db, months, unpaid) == 0
    assert _count(db, "hr.payroll", "currency = 'SEK'") > 0.8 * _count(db, "hr.payroll")
    assert _values(db, "select distinct currency from hr.payroll") == {"EUR", "SEK", "USD"}


# --- the hard cases ---------------------------------------------------------------------------


def test_void_invoices_and_credit_notes(db: duckdb.DuckDBPyConnection) -> None:
    assert _count(db, "billing.invoices", "status = 'void'") > 0
    assert _count(db, "billing.invoices", "amount < 0") > 0
    assert _count(db, "billing.invoices", "amount < 0 and status <> 'paid'") == 0
    assert _count(db, "billing.invoices", "amount < 0 and subscription_id is null") > 0
    statuses = _values(db, "select distinct status from billing.invoices")
    assert statuses == {"paid", "open", "void", "uncollectible"}
    # cus_0006: its 2025-01-01 invoice is void, reissued the next day.
    scripted = db.execute(
        "select status, amount from billing.invoices where customer_id = 'cus_0006' "
        "and issued_at between '2025-01-01' and '2025-01-03' order by issued_at"
    ).fetchall()
    assert [status for status, _ in scripted] == ["void", "paid"]
    assert scripted[0][1] == scripted[1][1]


def test_a_customer_churns_and_comes_back(db: duckdb.DuckDBPyConnection) -> None:
    returns = """exists (select 1 from billing.subscriptions as earlier
                         where earlier.customer_id = later.customer_id
                           and earlier.ended_at + interval 1 month <= later.started_at)
        and not exists (select 1 from billing.subscriptions as other
                        where other.customer_id = later.customer_id
                          and other.started_at < later.started_at
                          and coalesce(other.ended_at, timestamp '9999-01-01')
                              > later.started_at - interval 1 month)"""
    returners = _values(
        db, f"select distinct customer_id from billing.subscriptions as later where {returns}"
    )
    assert "cus_0001" in returners and len(returners) >= 3
    name = _one(db, "select company_name from crm.customers where customer_id = 'cus_0001'")
    assert name == "Lindqvist Bygg AB"


def test_annual_plans_are_invoiced_once_a_year(db: duckdb.DuckDBPyConnection) -> None:
    per_subscription = db.execute(
        """
        select s.subscription_id, count(*), min(i.issued_at), max(i.issued_at)
        from billing.subscriptions as s join billing.plans as p using (plan_id)
        join billing.invoices as i using (subscription_id)
        where p.billing_interval = 'year' and i.amount > 0 and i.status <> 'void'
        group by 1
        """
    ).fetchall()
    assert len(per_subscription) > 10
    assert any(count == 3 for _, count, _, _ in per_subscription)  # e.g. cus_0005
    for _, count, first, last in per_subscription:
        assert count == 1 or (last - first).days >= 365 * (count - 1) - 1


def test_tie_expansion_and_contraction(db: duckdb.DuckDBPyConnection) -> None:
    pairs = "billing.subscriptions as a join billing.subscriptions as b using (customer_id)"
    tie = "a.plan_id < b.plan_id and a.started_at = b.started_at and a.mrr = b.mrr"
    assert "cus_0002" in _values(db, f"select customer_id from {pairs} where {tie}")
    changed = "b.started_at = a.ended_at"  # one ends at the instant the next starts
    assert _count(db, pairs, f"{changed} and b.mrr > a.mrr") >= 5  # expansions
    assert _count(db, pairs, f"{changed} and b.mrr < a.mrr") >= 2  # contractions


def test_mid_month_hires_leavers_and_part_time(db: duckdb.DuckDBPyConnection) -> None:
    assert _count(db, "hr.employees", f"day(hired_on) <> 1 and hired_on >= '{START}'") > 0
    mid_month_leaver = "day(terminated_on) not in (1, day(last_day(terminated_on)))"
    assert _count(db, "hr.employees", f"fte < 1 and {mid_month_leaver}") > 0
    assert _values(db, "select distinct cast(fte as double) from hr.employees") == {0.5, 0.8, 1}
    assert len(_values(db, "select distinct department from hr.employees")) == 10
    lines = "product_line is not null and department not in "
    lines += "('engineering', 'product', 'customer_success')"
    assert _count(db, "hr.employees", lines) == 0


def test_funnel_steps_out_of_order_and_across_months(db: duckdb.DuckDBPyConnection) -> None:
    assert _values(db, "select distinct event_name from marketing.web_events") == FUNNEL
    assert _values(db, "select distinct channel from marketing.web_events") <= set(CHANNELS)
    visitor_months = """(
        select visitor_id, date_trunc('month', occurred_at) as month,
               min(occurred_at) filter (where event_name = 'signup') as signed_up,
               min(occurred_at) filter (where event_name = 'page_view') as viewed
        from marketing.web_events group by all)"""
    assert _count(db, visitor_months, "signed_up < viewed") >= 1
    several_months = """(select visitor_id from marketing.web_events group by 1
        having count(distinct date_trunc('month', occurred_at)) > 1)"""
    assert _count(db, several_months) > 100
    # Every purchase is a web lead's conversion, at the instant the customer was created.
    unmatched = "event_name = 'purchase' and occurred_at not in "
    unmatched += "(select created_at from crm.customers)"
    assert _count(db, "marketing.web_events", unmatched) == 0


def test_engagement_has_groups_below_the_anonymity_threshold(
    db: duckdb.DuckDBPyConnection,
) -> None:
    groups = db.execute(
        "select survey_date, department, count(distinct respondent_id) "
        "from hr.engagement_responses group by 1, 2"
    ).fetchall()
    assert any(respondents < 5 for _, _, respondents in groups)
    assert any(respondents >= 5 for _, _, respondents in groups)
    management = [
        respondents for _, department, respondents in groups if department == "management"
    ]
    assert management == [4] * 5  # every wave
    employee_ids = "respondent_id in (select employee_id from hr.employees)"
    assert _count(db, "hr.engagement_responses", employee_ids) == 0


def test_market_sizes_quarters_and_years(db: duckdb.DuckDBPyConnection) -> None:
    periods = db.execute(
        "select distinct period_start, period_end from marketing.market_sizes"
    ).fetchall()
    assert {(end.toordinal() - start.toordinal() + 1) // 30 for start, end in periods} == {3, 12}
    starts = [start for start, _ in periods]
    assert len(starts) == len(set(starts))  # one period_end per period_start
    regions = _values(db, "select distinct region from marketing.market_sizes")
    assert regions == _values(db, "select distinct region from crm.customers")
    assert regions == {"nordics", "dach", "uk_ie", "north_america"}


def test_campaigns_still_running_and_recent(db: duckdb.DuckDBPyConnection) -> None:
    assert _count(db, "marketing.campaigns", "ended_on is null") >= 3
    assert _count(db, "marketing.campaigns", "started_on > date '2026-08-15'") >= 1


# --- plausibility (the ratios of a healthy SaaS company) --------------------------------------


def test_kpis_are_plausible(db: duckdb.DuckDBPyConnection) -> None:
    promoters = _count(db, "crm.nps_responses", "score >= 9")
    detractors = _count(db, "crm.nps_responses", "score <= 6")
    assert 20 <= 100 * (promoters - detractors) / _count(db, "crm.nps_responses") <= 50
    assert 3.5 <= _one(db, "select avg(score) from hr.engagement_responses") <= 4.2
    churn = _one(
        db,
        """
        with months as (select m from range(timestamp '2024-09-01', timestamp '2026-10-01',
                                            interval 1 month) as t(m)),
        active as (select distinct m, customer_id from months join billing.subscriptions
                   on started_at <= m and m < coalesce(ended_at, timestamp '9999-01-01'))
        select 100.0 * count(*) filter (where not exists (
                   select 1 from active as n where n.customer_id = a.customer_id
                   and n.m = a.m + interval 1 month)) / count(*)
        from active as a where a.m < timestamp '2026-09-01'
        """,
    )
    assert 1 <= churn <= 4  # monthly logo churn, in percent
    headcount = _count(db, "hr.employees", "terminated_on is null")
    assert 40 <= headcount <= 75


def test_web_conversion_is_plausible_and_matches_the_customers(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """1-3 % of a month's visitors purchase, on every web channel too (paid search included),
    and no month has more purchasers than customers acquired from web leads."""
    months = db.execute(
        """
        with visitor_months as (
            select date_trunc('month', occurred_at) as month, visitor_id,
                   arg_min(channel, occurred_at) as channel,
                   bool_or(event_name = 'purchase') as purchased
            from marketing.web_events group by all),
        customers as (
            select date_trunc('month', c.created_at) as month, count(*) as acquired
            from crm.customers as c join crm.leads as l on l.converted_customer_id = c.customer_id
            where l.channel in ('organic', 'paid_search', 'paid_social', 'email', 'referral')
            group by all)
        select v.month, count(*), count(*) filter (where purchased), any_value(acquired),
               count(*) filter (where purchased and channel = 'paid_search')
        from visitor_months as v left join customers as c on c.month = v.month
        group by all order by 1
        """
    ).fetchall()
    rates = sorted(100 * bought / visitors for _, visitors, bought, _, _ in months)
    assert 1 <= rates[len(rates) // 2] <= 3  # the median month
    assert rates[0] >= 0.5 and rates[-1] <= 4
    assert all(bought <= (acquired or 0) for _, _, bought, acquired, _ in months)
    assert all(paid_search > 0 for *_, paid_search in months)
    channels = db.execute(
        """
        with visitor_months as (
            select date_trunc('month', occurred_at) as month, visitor_id,
                   arg_min(channel, occurred_at) as channel,
                   bool_or(event_name = 'purchase') as purchased
            from marketing.web_events group by all)
        select channel, 100.0 * count(*) filter (where purchased) / count(*)
        from visitor_months
        where channel in ('organic', 'paid_search', 'paid_social', 'email', 'referral')
        group by all
        """
    ).fetchall()
    assert len(channels) == 5
    assert all(1 <= rate <= 3.5 for _, rate in channels), channels
