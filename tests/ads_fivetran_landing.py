"""The ad platforms of a company given as contract files, written as Fivetran lands Google
Ads and Facebook Ads.

`write_landing(company, landing)` reads marketing__campaigns and marketing__ad_spend of the
folder `company` and writes them into the schemas `google_ads` and `facebook_ads` of the
DuckDB file `landing`, in Fivetran's table and column names (fivetran/dbt_google_ads_source's
and fivetran/dbt_facebook_ads_source's models/src_*.yml), the way the platforms keep them:
the `paid_search` campaigns on Google Ads (SEARCH campaigns, an account per currency, the
spend as cost_micros, each day split over two devices), the others on Facebook Ads (an ad
account per currency in UTC+1, start and stop times in UTC, each day split over two ads).
Every campaign and account has an older version that the mapping must not read. The campaign
ids are landed as text, so that the company's CRM and web events refer to them unchanged
(Fivetran's are numbers; the mapping reads either as text).

`extras=True` adds what the rules tests need beyond the company: a Google DISPLAY campaign
without an end date (Google's 2037-12-30), a Facebook campaign that starts and stops at
midnight Stockholm time, and report rows of a campaign the platform has no campaign for.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from vendor_twins import write_tables

GOOGLE, FACEBOOK = "google_ads", "facebook_ads"
FACEBOOK_OFFSET_HOURS = 1  # the Facebook accounts' time zone (Europe/Stockholm in winter)
NO_END_DATE = "2037-12-30"  # Google's end date of a campaign without one

GOOGLE_TABLES = {
    "campaign_history": "id varchar, updated_at timestamp, _fivetran_active boolean, "
    "_fivetran_synced timestamp, name varchar, customer_id bigint, "
    "advertising_channel_type varchar, advertising_channel_subtype varchar, "
    "start_date varchar, end_date varchar, serving_status varchar, status varchar",
    "campaign_stats": "customer_id bigint, date date, id varchar, ad_network_type varchar, "
    "device varchar, clicks bigint, cost_micros bigint, impressions bigint, "
    "conversions double, _fivetran_synced timestamp",
    "account_history": "id bigint, updated_at timestamp, _fivetran_active boolean, "
    "currency_code varchar, time_zone varchar, descriptive_name varchar, "
    "auto_tagging_enabled boolean",
}
FACEBOOK_TABLES = {
    "campaign_history": "id varchar, account_id bigint, updated_time timestamp, "
    "created_time timestamp, name varchar, start_time timestamp, stop_time timestamp, "
    "status varchar, daily_budget bigint, _fivetran_synced timestamp",
    "ad_history": "id varchar, account_id bigint, ad_set_id varchar, campaign_id varchar, "
    "creative_id varchar, name varchar, updated_time timestamp, _fivetran_synced timestamp",
    "basic_ad": "ad_id varchar, ad_name varchar, adset_name varchar, date date, "
    "account_id bigint, impressions bigint, inline_link_clicks bigint, spend double, "
    "reach bigint, frequency double, _fivetran_synced timestamp",
    "account_history": "id bigint, _fivetran_synced timestamp, name varchar, "
    "account_status varchar, currency varchar, timezone_name varchar, "
    "timezone_offset_hours_utc double",
}
SYNCED = "2024-06-01 00:00:00"
OLD = "2023-12-01 00:00:00"  # the older versions


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _record(tables: dict[str, str], table: str, **values: object) -> tuple:
    """A row of `table` (its columns in `tables`, in order) from `values`, the rest null."""
    names = [column.split()[0] for column in tables[table].split(", ")]
    return tuple(values.get(name) for name in names)


def facebook_time(day: str) -> str:
    """Midnight of `day` in the Facebook accounts' time zone, in UTC (as Fivetran lands it)."""
    local = dt.datetime.fromisoformat(day)
    return str(local - dt.timedelta(hours=FACEBOOK_OFFSET_HOURS))


def _split(total: int) -> tuple[int, int]:
    return total * 2 // 3, total - total * 2 // 3


def _day_parts(row: dict[str, str], amount: Decimal, names: tuple[str, ...]) -> list[dict]:
    """A day of ad_spend (`row`, its spend as the whole number `amount` of the platform's
    unit) in two parts of 2/3 and 1/3: the day, amount, impressions and clicks of each, by
    the platform's column `names`."""
    columns = (_split(int(amount)), _split(int(row["impressions"])), _split(int(row["clicks"])))
    return [
        dict(zip(names, (row["spend_date"], *part), strict=True))
        for part in zip(*columns, strict=True)
    ]


def _google(campaigns: list[dict], spend: list[dict], accounts: dict[str, int]) -> dict:
    rows: dict[str, list[tuple]] = {table: [] for table in GOOGLE_TABLES}
    history = rows["campaign_history"]
    currency_of = {row["campaign_id"]: row["currency"] for row in spend}
    for row in campaigns:
        account = accounts[currency_of.get(row["campaign_id"], "EUR")]
        common = {"id": row["campaign_id"], "customer_id": account, "status": "ENABLED"}
        history.append(  # an older version: another name, no end date, search partners
            _record(
                GOOGLE_TABLES,
                "campaign_history",
                **common,
                updated_at=OLD,
                _fivetran_active=False,
                name=f"{row['campaign_name']} (draft)",
                advertising_channel_type="DISPLAY",
                start_date="2023-12-01",
                end_date=NO_END_DATE,
            )
        )
        history.append(
            _record(
                GOOGLE_TABLES,
                "campaign_history",
                **common,
                updated_at=SYNCED,
                _fivetran_active=True,
                name=row["campaign_name"],
                advertising_channel_type="SEARCH",
                start_date=row["started_on"],
                end_date=row["ended_on"] or NO_END_DATE,
            )
        )
    for row in spend:
        names = ("date", "cost_micros", "impressions", "clicks")
        parts = _day_parts(row, Decimal(row["spend"]) * 1_000_000, names)
        for device, part in zip(("MOBILE", "DESKTOP"), parts, strict=True):
            stats = {"customer_id": accounts[row["currency"]], "id": row["campaign_id"]}
            stats |= {"ad_network_type": "SEARCH", "device": device}
            rows["campaign_stats"].append(_record(GOOGLE_TABLES, "campaign_stats", **part, **stats))
    for currency, account in accounts.items():
        for version, (updated, active, code) in enumerate(
            ((OLD, False, "USD"), (SYNCED, True, currency))
        ):
            rows["account_history"].append(
                _record(
                    GOOGLE_TABLES,
                    "account_history",
                    id=account,
                    updated_at=updated,
                    _fivetran_active=active,
                    currency_code=code,
                    descriptive_name=f"Account {account} v{version}",
                )
            )
    return rows


def _facebook(campaigns: list[dict], spend: list[dict], accounts: dict[str, int]) -> dict:
    rows: dict[str, list[tuple]] = {table: [] for table in FACEBOOK_TABLES}
    currency_of = {row["campaign_id"]: row["currency"] for row in spend}
    for row in campaigns:
        campaign = row["campaign_id"]
        account = accounts[currency_of.get(campaign, "EUR")]
        ended = row["ended_on"]
        stop = (
            facebook_time(str(dt.date.fromisoformat(ended) + dt.timedelta(days=1)))
            if ended
            else None
        )
        for updated, name in (
            (OLD, f"{row['campaign_name']} (draft)"),
            (SYNCED, row["campaign_name"]),
        ):
            rows["campaign_history"].append(
                _record(
                    FACEBOOK_TABLES,
                    "campaign_history",
                    id=campaign,
                    account_id=account,
                    updated_time=updated,
                    created_time=OLD,
                    name=name,
                    start_time=facebook_time(row["started_on"]) if updated == SYNCED else OLD,
                    stop_time=stop if updated == SYNCED else None,
                    status="ACTIVE",
                )
            )
        for number in (1, 2):  # two ads; the first with an older version in another campaign
            ad = f"{campaign}-AD{number}"
            versions = [(OLD, "OLD-CAMPAIGN")] if number == 1 else []
            for updated, in_campaign in (*versions, (SYNCED, campaign)):
                rows["ad_history"].append(
                    _record(
                        FACEBOOK_TABLES,
                        "ad_history",
                        id=ad,
                        account_id=account,
                        campaign_id=in_campaign,
                        name=ad,
                        updated_time=updated,
                    )
                )
    for row in spend:
        names = ("date", "spend", "impressions", "inline_link_clicks")
        for number, part in enumerate(_day_parts(row, Decimal(row["spend"]) * 100, names), 1):
            ad = {
                "ad_id": f"{row['campaign_id']}-AD{number}",
                "account_id": accounts[row["currency"]],
            }
            part["spend"] /= 100  # in cents until now
            rows["basic_ad"].append(_record(FACEBOOK_TABLES, "basic_ad", **part, **ad))
    for currency, account in accounts.items():
        for synced, code in ((OLD, "USD"), (SYNCED, currency.lower())):
            rows["account_history"].append(
                _record(
                    FACEBOOK_TABLES,
                    "account_history",
                    id=account,
                    _fivetran_synced=synced,
                    currency=code,
                    timezone_name="Europe/Stockholm",
                    timezone_offset_hours_utc=float(FACEBOOK_OFFSET_HOURS),
                )
            )
    return rows


def _extras(google: dict, facebook: dict) -> None:
    """A DISPLAY campaign without an end date, a Facebook campaign starting and stopping at
    Stockholm midnight, and report rows of campaigns the platforms have no campaign for."""
    account = google["account_history"][-1][0]
    google["campaign_history"].append(
        _record(
            GOOGLE_TABLES,
            "campaign_history",
            id="9001",
            customer_id=account,
            updated_at=SYNCED,
            _fivetran_active=True,
            name="Display retargeting",
            advertising_channel_type="DISPLAY",
            start_date="2024-02-01",
            end_date=NO_END_DATE,
        )
    )
    day = {"date": "2024-02-02", "clicks": 3, "cost_micros": 1_234_567, "impressions": 400}
    for campaign in ("9001", "9999"):  # 9999: no such campaign
        stats = _record(GOOGLE_TABLES, "campaign_stats", customer_id=account, id=campaign, **day)
        google["campaign_stats"].append(stats)
    fb_account = facebook["account_history"][-1][0]
    # 2024-01-31 23:00 UTC is midnight in Stockholm; it stops as 1 March begins there.
    times = {"start_time": facebook_time("2024-02-01"), "stop_time": facebook_time("2024-03-01")}
    campaign = {"id": "23850000000000001", "name": "February push", "account_id": fb_account}
    campaign |= {"updated_time": SYNCED, "created_time": "2024-01-20 10:00:00"}
    facebook["campaign_history"].append(
        _record(FACEBOOK_TABLES, "campaign_history", **campaign, **times)
    )
    facebook["basic_ad"].append(  # an ad ad_history does not know
        _record(
            FACEBOOK_TABLES,
            "basic_ad",
            ad_id="UNKNOWN-AD",
            date="2024-02-02",
            account_id=fb_account,
            impressions=10,
            inline_link_clicks=1,
            spend=5.0,
        )
    )


def write_landing(company: Path, landing: Path, extras: bool = False) -> Path:
    """Write the campaigns and ad spend of the contract files in `company` as Fivetran's
    Google Ads (the paid_search campaigns) and Facebook Ads (the others) tables in the DuckDB
    file `landing` (with `extras`: the rules tests' additions); return `landing`."""
    campaigns = _read(company, "marketing__campaigns")
    spend = _read(company, "marketing__ad_spend")
    on_google = {row["campaign_id"] for row in campaigns if row["channel"] == "paid_search"}
    currencies = sorted({row["currency"] for row in spend} | {"EUR"})
    google = _google(
        [row for row in campaigns if row["campaign_id"] in on_google],
        [row for row in spend if row["campaign_id"] in on_google],
        {currency: 1_000_000_001 + n for n, currency in enumerate(currencies)},
    )
    facebook = _facebook(
        [row for row in campaigns if row["campaign_id"] not in on_google],
        [row for row in spend if row["campaign_id"] not in on_google],
        {currency: 2001 + n for n, currency in enumerate(currencies)},
    )
    if extras:
        _extras(google, facebook)
    write_tables(landing, GOOGLE, GOOGLE_TABLES, google)
    return write_tables(landing, FACEBOOK, FACEBOOK_TABLES, facebook)
