"""Failure examples show the data's columns, never the loader's `_loaded_at` stamp (on every
engine alike: a Spark Parquet row carries it, a DuckDB example query may not)."""

from nyckeltal.quality.outcome import format_row


def test_example_rows_leave_out_the_load_stamp() -> None:
    row = {"spend": -50.0, "_loaded_at": "2026-12-07 02:56:11", "campaign_id": "CA2"}
    assert format_row(row) == "spend=-50.0, campaign_id='CA2'"
