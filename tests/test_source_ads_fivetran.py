"""Vendor sources `google_ads:fivetran`, `facebook_ads:fivetran` and both joined
(docs/sources.md "Google Ads", "Facebook Ads").

The planted company of tests/vendor_twins.py is refreshed with NYCKELTAL_ADS_SOURCE=
google_ads:fivetran+facebook_ads:fivetran, its marketing__campaigns and marketing__ad_spend
files absent and the same campaigns written as Fivetran's Google Ads (the paid_search
campaign) and Facebook Ads (the other) tables (tests/ads_fivetran_landing.py: history
versions, spend in micros, days split over devices and ads, account currencies, times in
UTC). Its marketing KPIs equal the ones from its contract files, but for the channel of the
email campaign, which an ad platform can only have as paid_social. Each mapping rule is also
tested on the mapped raw tables, without a refresh.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import vendor_twins as twin_tools
from ads_fivetran_landing import write_landing
from shared_warehouses import build_once

from nyckeltal import settings, vendors
from nyckeltal.context import RunContext
from nyckeltal.settings import SettingsError

JOINED = "google_ads:fivetran+facebook_ads:fivetran"
ADS_FROM_PLATFORMS = ("marketing__campaigns", "marketing__ad_spend")
MARKETING_KPIS = ("cac", "cac_paid", "ltv_to_cac", "roi_3m", "roi_6m", "roi_12m", "cpl")


def _ads_env(patch: pytest.MonkeyPatch, landing: Path, source: str = JOINED) -> None:
    patch.setenv("NYCKELTAL_ADS_SOURCE", source)
    patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))


def _landing(folder: Path, extras: bool = False) -> Path:
    company = twin_tools.company_files(folder / "marketing")
    return write_landing(company, folder / "landing.duckdb", extras=extras)


def _files(name: str) -> list[dict[str, str]]:
    with open(twin_tools.FIXTURES / "minimal" / f"{name}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def ads_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company refreshed with its campaigns and spend from both ad platforms."""

    def build(folder: Path) -> None:
        landing = _landing(folder)
        twin_tools.refresh_company(
            folder, lambda patch: _ads_env(patch, landing), leave_out=ADS_FROM_PLATFORMS
        )

    return build_once(tmp_path_factory, "ads_fivetran_twin", build) / "nyckeltal.duckdb"


def _scorecard(warehouse: Path) -> dict[tuple, tuple]:
    with duckdb.connect(str(settings.published_path(warehouse)), read_only=True) as connection:
        rows = connection.execute(
            "select kpi_code, period_start, segment_type, segment_value, numerator, "
            "denominator, value from marts.kpi_scorecard"
        ).fetchall()
    return {row[:4]: row[4:] for row in rows}


@pytest.mark.dbt
def test_the_marketing_kpis_from_the_ad_platforms_equal_the_ones_from_files(
    ads_twin: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    files = _scorecard(twin_tools.files_twin(tmp_path_factory))
    platforms = _scorecard(ads_twin)
    # The email campaign CA2 is a Facebook campaign here: paid_social, not email.
    moved = {("channel", "email"), ("channel", "paid_social")}
    same_files = {key: row for key, row in files.items() if key[2:] not in moved}
    same_platforms = {key: row for key, row in platforms.items() if key[2:] not in moved}
    assert same_platforms.keys() == same_files.keys()
    for key in sorted(same_files, key=str):
        assert same_platforms[key] == same_files[key], key
    for code in MARKETING_KPIS:
        assert any(key[0] == code for key in same_files), code
    # CA1's cost per lead in January: 219.50 EUR for its one lead, as from the files.
    january = dt.date(2024, 1, 1)
    assert platforms["cpl", january, "campaign", "CA1"][2] == pytest.approx(219.5)
    paid_channels = {key[3] for key in platforms if key[0] == "cpl" and key[2] == "channel"}
    assert paid_channels == {"paid_search", "paid_social"}


@pytest.mark.dbt
def test_the_mapped_marketing_tables_are_recorded_as_loaded(ads_twin: Path) -> None:
    manifest = twin_tools.loaded_row_counts(ads_twin)
    assert (manifest["marketing.campaigns"], manifest["marketing.ad_spend"]) == (2, 3)
    assert manifest["marketing.expenses"] > 0  # from files: no ad platform has them


# --------------------------------------------------------------------------- the rules


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company's campaigns mapped from both platforms with the rules' extras (no
    refresh), marketing.campaigns and marketing.ad_spend validated: the warehouse."""
    folder = tmp_path_factory.mktemp("ads_rules")
    prepare = functools.partial(_ads_env, landing=_landing(folder, extras=True))
    tables = ("marketing.campaigns", "marketing.ad_spend")
    return twin_tools.map_and_validate(folder, prepare, ADS_FROM_PLATFORMS, tables)


# The mapped rows by key: the campaign id, or the campaign id and the day.
MAPPED_COLUMNS = {
    "campaigns": "campaign_id, campaign_name, channel, started_on, ended_on",
    "ad_spend": "campaign_id || ' ' || cast(spend_date as varchar), spend, currency, "
    "impressions, clicks",
}


def _rows(warehouse: Path, table: str) -> dict:
    sql = f"select {MAPPED_COLUMNS[table]} from raw_marketing.{table}"
    return twin_tools.rows_by_key(warehouse, sql)


def test_the_campaigns_are_the_files_latest_versions(mapped: Path) -> None:
    campaigns = _rows(mapped, "campaigns")
    for row in _files("marketing__campaigns"):
        ended = dt.date.fromisoformat(row["ended_on"]) if row["ended_on"] else None
        channel = "paid_search" if row["channel"] == "paid_search" else "paid_social"
        assert campaigns[row["campaign_id"]] == (
            row["campaign_name"],  # not the older version's name
            channel,
            dt.date.fromisoformat(row["started_on"]),
            ended,
        )


def test_the_daily_spend_is_the_files_spend(mapped: Path) -> None:
    # Google: cost_micros / 1e6 of two devices summed; Facebook: spend of two ads summed;
    # the currency of the account's latest version (Facebook's upper-cased).
    spend = _rows(mapped, "ad_spend")
    for row in _files("marketing__ad_spend"):
        assert spend[f"{row['campaign_id']} {row['spend_date']}"] == (
            Decimal(row["spend"]),
            row["currency"],
            int(row["impressions"]),
            int(row["clicks"]),
        )


def test_google_channel_end_date_and_unknown_campaigns(mapped: Path) -> None:
    # A DISPLAY campaign is `other`; Google's 2037-12-30 is no end date.
    assert _rows(mapped, "campaigns")["9001"] == (
        "Display retargeting",
        "other",
        dt.date(2024, 2, 1),
        None,
    )
    spend = _rows(mapped, "ad_spend")
    assert spend["9001 2024-02-02"] == (Decimal("1.2346"), "SEK", 400, 3)  # 1,234,567 micros
    assert not any(key.startswith("9999 ") for key in spend)  # no such campaign


def test_facebook_days_are_the_accounts(mapped: Path) -> None:
    # Starts 2024-01-31 23:00 UTC, midnight in Stockholm: 1 February; stops as 1 March
    # begins there: its last day is 29 February.
    assert _rows(mapped, "campaigns")["23850000000000001"] == (
        "February push",
        "paid_social",
        dt.date(2024, 2, 1),
        dt.date(2024, 2, 29),
    )
    # The spend of an ad ad_history does not know has no campaign: left out.
    assert len(_rows(mapped, "ad_spend")) == len(_files("marketing__ad_spend")) + 1


def test_the_mapped_tables_pass_the_raw_suites(mapped: Path) -> None:
    report = mapped.with_name("validation.txt").read_text()
    assert "FAILED" not in report, report


def test_one_platform_alone_needs_only_its_tables(tmp_path: Path, monkeypatch) -> None:
    landing = _landing(tmp_path)
    with duckdb.connect(str(landing)) as connection:
        connection.execute("drop schema google_ads cascade")
    _ads_env(monkeypatch, landing, "facebook_ads:fivetran")
    context = RunContext.build(warehouse=tmp_path / "w.duckdb")
    for system, layout in vendors.configured(context):  # raises on a missing table or column
        vendors.check_landed(context, system, layout)
    warehouse = twin_tools.map_and_validate(
        tmp_path / "run",
        lambda patch: _ads_env(patch, landing, "facebook_ads:fivetran"),
        leave_out=ADS_FROM_PLATFORMS,
        tables=("marketing.ad_spend",),
    )
    assert set(_rows(warehouse, "campaigns")) == {"CA2"}
    assert set(_rows(warehouse, "ad_spend")) == {"CA2 2024-01-15"}


def test_a_campaign_id_on_both_platforms_is_reported(tmp_path: Path) -> None:
    # The ids are the platforms' own, not prefixed (the ids CRM and web data carry): one on
    # both platforms fails the raw suite's primary key check, which names it.
    landing = _landing(tmp_path)
    with duckdb.connect(str(landing)) as connection:
        for table in ("campaign_history", "ad_history"):
            column = "id" if table == "campaign_history" else "campaign_id"
            connection.execute(
                f"update facebook_ads.{table} set {column} = 'CA1' where {column} = 'CA2'"
            )
    warehouse = twin_tools.map_and_validate(
        tmp_path / "run",
        lambda patch: _ads_env(patch, landing),
        leave_out=ADS_FROM_PLATFORMS,
        tables=("marketing.campaigns",),
    )
    report = warehouse.with_name("validation.txt").read_text()
    assert "FAILED" in report and "campaign_id" in report and "CA1" in report


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "change", "expected"),
    [
        (
            JOINED,
            "drop table facebook_ads.basic_ad",
            "the landed table basic_ad is missing from the schema facebook_ads of {landing}",
        ),
        (
            "google_ads:fivetran",
            "alter table google_ads.campaign_stats drop column cost_micros",
            "the column cost_micros is missing from the landed table campaign_stats in the "
            "schema google_ads of {landing}",
        ),
    ],
)
def test_a_missing_table_or_column_is_a_one_line_error(
    source: str, change: str, expected: str, tmp_path: Path, monkeypatch
) -> None:
    landing = _landing(tmp_path)
    _ads_env(monkeypatch, landing, source)
    context = RunContext.build(warehouse=tmp_path / "w.duckdb")
    with duckdb.connect(str(landing)) as connection:
        connection.execute(change)
    message = f"NYCKELTAL_ADS_SOURCE={source}: {expected.format(landing=landing)}"
    with pytest.raises(vendors.VendorSourceError, match=f"^{re.escape(message)}$"):
        vendors.map_vendor_tables(context)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("linkedin_ads:fivetran", f"files, google_ads:fivetran, facebook_ads:fivetran, {JOINED}"),
        ("google_ads:dlt", "(this layout is not supported yet)"),
        ("facebook_ads:fivetran+google_ads:fivetran", "supported ads sources are files"),
    ],
)
def test_bad_ads_sources_are_one_line_errors(value: str, expected: str, monkeypatch) -> None:
    monkeypatch.setenv("NYCKELTAL_ADS_SOURCE", value)
    with pytest.raises(SettingsError) as raised:
        settings.current()
    message = str(raised.value)
    assert "\n" not in message
    assert "NYCKELTAL_ADS_SOURCE" in message and expected in message
