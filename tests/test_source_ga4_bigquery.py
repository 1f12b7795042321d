"""Vendor source `ga4:bigquery` (docs/sources.md "GA4").

The planted company of tests/vendor_twins.py is refreshed with NYCKELTAL_WEB_SOURCE=
ga4:bigquery, its marketing__web_events file absent and the same web events written as
GA4's BigQuery export (tests/ga4_bigquery_landing.py) in one table `events` with STRUCT and
LIST columns: its funnel and web KPIs equal the ones from its contract files. The mapping
rules are tested on the mapped raw table without a refresh, from daily shards
`events_YYYYMMDD` (one of them with its nested columns as JSON text) holding the company's
events and more visitors, each planted for a rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest
import vendor_twins as twin_tools
from ga4_bigquery_landing import event, export_rows, micros, write_events

from nyckeltal import vendors
from nyckeltal.context import RunContext
from nyckeltal.vendor_layouts import GA4_DEFAULT_EVENTS, parse_ga4_events

WEB_EVENTS = ("marketing__web_events",)
COMPANY_EVENTS = twin_tools.FIXTURES / "minimal" / "marketing__web_events.csv"


def _ga4_env(patch: pytest.MonkeyPatch, landing: Path) -> None:
    patch.setenv("NYCKELTAL_WEB_SOURCE", "ga4:bigquery")
    patch.setenv("NYCKELTAL_LANDING_DATABASE", str(landing))


@pytest.mark.dbt
def test_the_funnel_from_ga4_equals_the_one_from_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("ga4_twin")
    landing = write_events(folder / "landing.duckdb", "events", export_rows(COMPANY_EVENTS))
    warehouse = twin_tools.refresh_company(
        folder, lambda patch: _ga4_env(patch, landing), leave_out=WEB_EVENTS
    )
    files = twin_tools.files_twin(tmp_path_factory)
    twin_tools.assert_same_scorecard(
        files, warehouse, ("conversion_rate", "funnel_step_conversion")
    )
    assert twin_tools.loaded_row_counts(warehouse)["marketing.web_events"] == 4


# --------------------------------------------------------------------------- the rules

DAY = dt.datetime(2024, 1, 2)
SESSION = micros(DAY) // 1_000_000  # a ga_session_id: the Unix second the session began


def _at(minutes: int, day: int = 0) -> dt.datetime:
    return DAY + dt.timedelta(days=day, minutes=minutes)


RULE_EVENTS = [
    # R1: a Google Ads click (gclid only): paid search; its campaign is unknown (null);
    # begin_checkout renamed, a custom trial_start and GA4's session_start kept.
    event(
        "R1",
        _at(0),
        "session_start",
        SESSION,
        collected={"gclid": "Cj0", "manual_campaign_id": "NO_SUCH"},
    ),
    event("R1", _at(1), "trial_start", SESSION),
    event("R1", _at(2), "begin_checkout", SESSION),
    # R2: two identical events (same instant, name and parameters): two rows; events
    # without a ga_session_id: the session is the visitor.
    event("R2", _at(5), "page_view", None),
    event("R2", _at(5), "page_view", None),
    # R3: the session's first event with a source decides (paid social), also for the
    # events before it; a later source in the session does not.
    event("R3", _at(10), "page_view", SESSION + 1),
    event("R3", _at(11), "page_view", SESSION + 1, {"source": "facebook", "medium": "cpc"}),
    event("R3", _at(12), "sign_up", SESSION + 1, {"source": "google", "medium": "organic"}),
    # R4: a social site's referral is organic social; a second session, a plain referral.
    event(
        "R4", _at(20), "page_view", SESSION + 2, {"source": "l.facebook.com", "medium": "referral"}
    ),
    event(
        "R4", _at(0, 1), "page_view", SESSION + 90, {"source": "blog.example", "medium": "referral"}
    ),
    # R5: affiliates are the partner channel; a manual campaign that is known is kept.
    event(
        "R5",
        _at(30),
        "purchase",
        SESSION + 3,
        collected={
            "manual_source": "partner-site",
            "manual_medium": "affiliate",
            "manual_campaign_id": "CA2",
        },
    ),
    # R6: no source at all: direct, `other`; R7: no user_pseudo_id, left out.
    event("R6", _at(40), "page_view", SESSION + 4),
    event(None, _at(41), "page_view", SESSION + 5),
]


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The company's web events and the rule events, landed as daily shards (that of
    2024-01-05 as JSON text), mapped (no refresh): the warehouse."""
    folder = tmp_path_factory.mktemp("ga4_rules")
    landing = folder / "landing.duckdb"
    rows = export_rows(COMPANY_EVENTS) + RULE_EVENTS
    for day in sorted({row["event_date"] for row in rows}):
        nested = "json" if day == "20240105" else "struct"
        shard = [row for row in rows if row["event_date"] == day]
        write_events(landing, f"events_{day}", shard, nested)
    return twin_tools.map_and_validate(
        folder,
        lambda patch: _ga4_env(patch, landing),
        leave_out=WEB_EVENTS,
        tables=("marketing.web_events",),
    )


def _events(warehouse: Path, where: str = "true") -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select visitor_id, occurred_at, event_name, channel, campaign_id, session_id, "
            f"event_id from raw_marketing.web_events where {where} "
            "order by visitor_id, occurred_at, event_name, event_id"
        ).fetchall()


def test_the_company_events_map_to_its_contract_rows(mapped: Path) -> None:
    # The rows of marketing__web_events.csv, but for the event and session ids; the
    # sessions are the same groups of events.
    with COMPANY_EVENTS.open(newline="") as handle:
        contract = sorted(
            (
                row["visitor_id"],
                dt.datetime.fromisoformat(row["occurred_at"]),
                row["event_name"],
                row["channel"],
                row["campaign_id"] or None,
                row["session_id"],
            )
            for row in csv.DictReader(handle)
        )
    rows = _events(mapped, "visitor_id like 'V%'")
    assert [row[:5] for row in rows] == [row[:5] for row in contract]
    assert len(rows) == 4 and len({row[5] for row in contract}) == 3
    sessions = {(mine[5], theirs[5]) for mine, theirs in zip(rows, contract, strict=True)}
    assert len(sessions) == len({pair[0] for pair in sessions}) == len({p[1] for p in sessions})
    # The session is user_pseudo_id || ga_session_id (GA's unique session key).
    assert rows[0][5] == "V1" + str(micros(rows[0][1]) // 1_000_000)
    report = mapped.with_name("validation.txt").read_text()
    assert "FAILED" not in report, report


def test_channels_and_campaigns_by_session(mapped: Path) -> None:
    channels = {
        (row[0], row[2], row[1]): (row[3], row[4])
        for row in _events(mapped, "visitor_id like 'R%'")
    }
    assert channels[("R1", "session_start", _at(0))] == ("paid_search", None)
    assert channels[("R1", "trial_start", _at(1))] == ("paid_search", None)
    assert {
        channels[("R3", name, _at(minute))]
        for name, minute in (("page_view", 10), ("page_view", 11), ("signup", 12))
    } == {("paid_social", None)}
    assert channels[("R4", "page_view", _at(20))] == ("organic", None)
    assert channels[("R4", "page_view", _at(0, 1))] == ("referral", None)
    assert channels[("R5", "purchase", _at(30))] == ("partner", "CA2")
    assert channels[("R6", "page_view", _at(40))] == ("other", None)


def test_event_names_ids_and_sessions(mapped: Path) -> None:
    rows = _events(mapped, "visitor_id like 'R%'")
    assert [row[2] for row in rows if row[0] == "R1"] == [
        "session_start",
        "trial_start",
        "checkout_start",
    ]
    assert {row[0] for row in rows} == {"R1", "R2", "R3", "R4", "R5", "R6"}  # no R7
    twins = [row for row in rows if row[0] == "R2"]
    assert [row[5] for row in twins] == ["R2", "R2"]  # no ga_session_id: the visitor
    # event_id: md5 of user_pseudo_id|event_timestamp|event_name|n, n numbering identical
    # events 1, 2, ...
    expected = {
        hashlib.md5(f"R2|{micros(_at(5))}|page_view|{n}".encode()).hexdigest() for n in (1, 2)
    }
    assert {row[6] for row in twins} == expected
    assert len({row[6] for row in _events(mapped)}) == len(_events(mapped))


# --------------------------------------------------------------------------- errors


def _without_event_params(landing: Path) -> None:
    with duckdb.connect(str(landing)) as connection:
        connection.execute("alter table ga4.events_20240102 drop column event_params")


@pytest.mark.parametrize(
    ("shard", "damage", "expected"),
    [
        # Neither `events` nor a daily shard (events_2024 is not one).
        ("events_2024", None, "the landed table events (or its daily shards events_YYYYMMDD)"),
        ("events_20240102", _without_event_params, "the column event_params"),
    ],
)
def test_missing_landed_events_are_one_line_errors(
    shard: str, damage, expected: str, tmp_path: Path, monkeypatch
) -> None:
    landing = write_events(tmp_path / "landing.duckdb", shard, export_rows(COMPANY_EVENTS))
    if damage is not None:
        damage(landing)
    _ga4_env(monkeypatch, landing)
    with pytest.raises(vendors.VendorSourceError) as raised:
        vendors.map_vendor_tables(RunContext.build(warehouse=tmp_path / "w.duckdb"))
    where = "from the landed table events in" if damage else "from"
    assert str(raised.value) == (
        f"NYCKELTAL_WEB_SOURCE=ga4:bigquery: {expected} is missing {where} the schema ga4 "
        f"of {landing}"
    )


def test_the_events_setting() -> None:
    assert parse_ga4_events(GA4_DEFAULT_EVENTS) == {
        "page_view": "page_view",
        "sign_up": "signup",
        "begin_checkout": "checkout_start",
        "purchase": "purchase",
    }
    assert parse_ga4_events(" generate_lead = signup ,") == {"generate_lead": "signup"}


# Each setting refused, by what its one-line error says.
BAD_SETTINGS = {
    "WEB_SOURCE=ga4:dlt": "supported web sources are files, ga4:bigquery (this layout",
    "GA4_EVENTS=sign_up": "'sign_up' is not ga4_event=event_name",
    "GA4_EVENTS=sign_up=signup,sign_up=x": "the GA4 event 'sign_up' is named twice",
    "GA4_EVENTS=sign_up=sign'up": "sign'up\" is not ga4_event=event_name",
    "GA4_SCHEMA=ga4; drop": "a schema name of lower-case letters, digits and _",
    "GA4_SCHEMA=GA4": "a schema name of lower-case letters, digits and _",
}


@pytest.mark.parametrize("setting", BAD_SETTINGS)
def test_bad_ga4_settings_are_one_line_errors(setting: str, monkeypatch) -> None:
    name, _, value = setting.partition("=")
    twin_tools.assert_setting_refused(monkeypatch, name, value, BAD_SETTINGS[setting])
