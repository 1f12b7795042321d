"""The same project on PostgreSQL and on Apache Spark: only the dbt target changes.

Each test loads a dataset with `nyckeltal load` into the engine (NYCKELTAL_TARGET), builds
every model and data test with dbt on it, and compares its marts.kpi_scorecard and the insight
marts (INSIGHT_MARTS: the SQL ones, the forecasts and the target outlook) with the ones DuckDB
builds from the same files: the same rows, values within a relative 1e-9 (the forecasts,
optimizer output: 1e-6), less the DuckDB-only risk_band series.

PostgreSQL: a private server (tests/postgres_server.py), the bundled demo dataset.
Spark: a local Spark (pyspark, dbt-spark's `session` method, Java 17), the minimal fixture
(Spark runs ~150 models one by one; the demo takes too long for the suite).
Neither test skips: an engine that does not start fails them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
from float_rows import same_value

from nyckeltal.cli import main
from nyckeltal.context import RunContext
from nyckeltal.scorecard import COLUMNS as SCORECARD_COLUMNS

KEY = ("kpi_code", "period_grain", "period_start", "segment_type", "segment_value")
SELECT_SCORECARD = f"select {', '.join(SCORECARD_COLUMNS)} from marts.kpi_scorecard"
FIXTURES = Path(__file__).parent / "fixtures"
DATE_COLUMNS = {"period_start", "period_end", "previous_period_start", "last_complete_period_start"}


@dataclass(frozen=True)
class Mart:
    """A mart compared across engines: its key and, for a rank of tied scores (equal but for
    the last bits of a float, which differ between engines), the rank column, its score and
    the columns of the group it ranks in."""

    table: str
    key: tuple[str, ...]
    rank: tuple[str, str, tuple[str, ...]] | None = None
    # Relative tolerance of float values: SQL on the same rows agrees to the last bits; the
    # forecasts come from optimizers (AutoETS, AutoTheta) fed values that differ in them.
    rel_tol: float = 1e-9

    def select(self, columns: Sequence[str]) -> str:
        return f"select {', '.join(columns)} from marts.{self.table}"


SCORECARD = Mart("kpi_scorecard", KEY)
FORECAST_REL_TOL = 1e-6
# The SQL insight marts.
SQL_INSIGHT_MARTS = (
    Mart("kpi_anomalies", KEY),
    Mart(
        "kpi_segment_callouts",
        KEY,
        rank=("callout_rank", "callout_score", ("kpi_code", "period_grain", "period_start")),
    ),
    Mart("kpi_change_decomposition", ("kpi_code", "period_grain", "segment_type", "segment_value")),
)
# The forecasts: dbt Python models on DuckDB, the refresh's foresight_tables step elsewhere
# (nyckeltal/insights/foresight.py), the same code on the same scorecard.
SERIES = ("kpi_code", "segment_type", "segment_value", "period_grain")
FORESIGHT_MARTS = (
    Mart("kpi_forecasts", (*SERIES, "horizon"), rel_tol=FORECAST_REL_TOL),
    Mart("kpi_target_outlook", (*SERIES, "outlook_period"), rel_tol=FORECAST_REL_TOL),
)
# Every insight mart runs on every engine.
INSIGHT_MARTS = (*SQL_INSIGHT_MARTS, *FORESIGHT_MARTS)


def _normalised(
    rows: Iterable[Sequence[object]], columns: Sequence[str], key: Sequence[str]
) -> dict[tuple[object, ...], dict[str, object]]:
    table: dict[tuple[object, ...], dict[str, object]] = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        for name, value in record.items():
            if isinstance(value, Decimal):
                record[name] = float(value)
            elif isinstance(value, dt.datetime):
                record[name] = value.date()
            elif isinstance(value, str) and name in DATE_COLUMNS:
                record[name] = dt.date.fromisoformat(value)  # Spark's rows come as JSON
        row_key = tuple(record[name] for name in key)
        assert row_key not in table, f"duplicate key {row_key}"
        table[row_key] = record
    return table


def mart_columns(duckdb_warehouse: Path, mart: Mart) -> list[str]:
    """The columns of `mart` in DuckDB's warehouse, in their order."""
    if mart is SCORECARD:
        return list(SCORECARD_COLUMNS)
    with duckdb.connect(str(duckdb_warehouse), read_only=True) as connection:
        return [
            name for name, *_ in connection.execute(f"{mart.select(['*'])} limit 0").description
        ]


def _same(got: object, want: object, rel_tol: float = 1e-9) -> bool:
    return same_value(got, want, rel_tol=rel_tol, abs_tol=rel_tol * 1e-3)


def assert_same_rows(
    engine_rows: Iterable[Sequence[object]], duckdb_warehouse: Path, mart: Mart = SCORECARD
) -> None:
    """The engine's rows of `mart` are DuckDB's (a rank may differ only between tied scores)."""
    columns = mart_columns(duckdb_warehouse, mart)
    # churn_rate by risk_band comes from a dbt Python model: DuckDB only (disabled elsewhere).
    with duckdb.connect(str(duckdb_warehouse), read_only=True) as connection:
        expected = _normalised(
            connection.execute(
                f"{mart.select(columns)} where segment_type != 'risk_band'"
            ).fetchall(),
            columns,
            mart.key,
        )
    actual = _normalised(engine_rows, columns, mart.key)
    assert sorted(actual, key=repr) == sorted(expected, key=repr), mart.table
    rank, score, group = mart.rank or ("", "", ())
    scores_by_rank = {
        (*(row[name] for name in group), row[rank]): row[score] for row in expected.values() if rank
    }
    differences = []
    for key, row in expected.items():
        for name, want in row.items():
            got = actual[key][name]
            if name == rank and got != want:
                # Tied: DuckDB's row at the engine's rank has the same score.
                tied = scores_by_rank.get((*(row[column] for column in group), got))
                got = want if _same(tied, row[score]) else got
            if not _same(got, want, mart.rel_tol):
                differences.append((key, name, got, want))
    assert not differences, (
        f"{mart.table}: {len(differences)} differences, first: {differences[:5]}"
    )


def assert_same_scorecard(engine_rows: Iterable[Sequence[object]], duckdb_warehouse: Path) -> None:
    with duckdb.connect(str(duckdb_warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from marts.kpi_scorecard").fetchone() != (0,), (
            "DuckDB built an empty scorecard"
        )
    assert_same_rows(engine_rows, duckdb_warehouse)


def _postgres_environment(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "NYCKELTAL_TARGET": "postgres",
        "NYCKELTAL_POSTGRES_HOST": str(parts.hostname),
        "NYCKELTAL_POSTGRES_PORT": str(parts.port),
        "NYCKELTAL_POSTGRES_USER": str(parts.username),
        "NYCKELTAL_POSTGRES_PASSWORD": str(parts.password),
        "NYCKELTAL_POSTGRES_DATABASE": parts.path.lstrip("/"),
        "NYCKELTAL_POSTGRES_SSLMODE": "disable",
    }


def test_a_postgres_load_replaces_all_tables_or_none(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Loading again replaces the rows in place (dbt's staging views depend on the raw
    tables); the fifteen tables change in one transaction, so a load failing at the last
    table leaves every table as it was."""
    import psycopg

    for name, value in _postgres_environment(postgres_database).items():
        monkeypatch.setenv(name, value)
    minimal = str(FIXTURES / "minimal")
    unused = str(tmp_path / "unused.duckdb")
    assert main(["load", minimal, "--warehouse", unused]) == 0
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        connection.execute(
            "create view public.customer_ids as select customer_id from raw_crm.customers"
        )
        connection.execute(
            "delete from raw_crm.customers where customer_id <> "
            "(select min(customer_id) from raw_crm.customers)"
        )
        before = connection.execute("select count(*) from raw_crm.customers").fetchone()
        # The last table of a load rejects every new row.
        connection.execute(
            "alter table raw_marketing.market_sizes add constraint reject_rows check (false) "
            "not valid"
        )
    assert main(["load", minimal, "--warehouse", unused]) == 1
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        assert connection.execute("select count(*) from raw_crm.customers").fetchone() == before
        connection.execute("alter table raw_marketing.market_sizes drop constraint reject_rows")
    assert before == (1,)
    assert main(["load", minimal, "--warehouse", unused]) == 0
    with psycopg.connect(postgres_database) as connection:
        after = connection.execute("select count(*) from public.customer_ids").fetchone()
    assert after[0] > 1
    assert not Path(unused).exists()


def _read_spark(spark_dir: Path, queries: Sequence[str]) -> list[list[tuple[object, ...]]]:
    """The rows of each query on the marts as dbt left them, read through the same metastore
    in a new Spark session (a subprocess: one JVM per test process is enough); dates come as
    ISO strings (_normalised reads them)."""
    import json
    import subprocess
    import sys

    script = f"""
import json, sys
from pyspark.sql import SparkSession
spark = (
    SparkSession.builder.master("local[1]")
    .config("spark.ui.enabled", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.warehouse.dir", {str(spark_dir / "tables")!r})
    .config("spark.hadoop.javax.jdo.option.ConnectionURL",
            "jdbc:derby:;databaseName={spark_dir / "metastore_db"};create=true")
    .config("spark.driver.extraJavaOptions", "-Dderby.system.home={spark_dir}")
    .enableHiveSupport()
    .getOrCreate()
)
rows = [[list(row) for row in spark.sql(query).collect()] for query in {list(queries)!r}]
json.dump(rows, sys.stdout, default=str)
spark.stop()
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=600
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    return [[tuple(row) for row in rows] for rows in results]


# --------------------------------------------------------------------------- nyckeltal run


@pytest.fixture
def progress_lines() -> Iterator[list[str]]:
    """The progress lines of the test (nyckeltal.progress), whatever stdout they went to."""
    from nyckeltal.progress import logger

    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def _published_scorecard(published: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(published), read_only=True) as connection:
        return connection.execute(SELECT_SCORECARD).fetchall()


def _run_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Private dbt, GX and publication paths; returns the (unused) DuckDB warehouse path."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.setenv("NYCKELTAL_GX_DIR", str(tmp_path / "gx"))
    monkeypatch.setenv("NYCKELTAL_RETRIES", "0")
    return tmp_path / "unused.duckdb"


def test_nyckeltal_run_on_postgres_validates_builds_and_publishes_the_demo(
    postgres_database: str,
    dbt_built_warehouse: Callable[[str | Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    progress_lines: list[str],
) -> None:
    """`NYCKELTAL_TARGET=postgres nyckeltal run`: GX on PostgreSQL, dbt build on PostgreSQL,
    the marts published into the server's `published` schema (one transaction) and the
    snapshot file; the published scorecard equals DuckDB's, and so do the insight marts."""
    import psycopg

    reference = dbt_built_warehouse("demo")
    for name, value in _postgres_environment(postgres_database).items():
        monkeypatch.setenv(name, value)
    # The whole DAG on PostgreSQL: dbt's data tests run in the build too.
    monkeypatch.setenv("NYCKELTAL_REFRESH_DBT_TESTS", "true")
    unused = _run_environment(monkeypatch, tmp_path)
    assert main(["demo", "--warehouse", str(unused)]) == 0
    capsys.readouterr()
    assert main(["run", "--warehouse", str(unused)]) == 0
    assert "DuckDB-only, skipped on this engine" in capsys.readouterr().out
    stages = "\n".join(progress_lines)
    assert re.search(r"dbt build .*, [1-9][0-9]{2,} data tests", stages), stages
    assert re.search(r"forecasts .*int_kpi_forecast_paths [1-9][0-9]{3,}", stages), stages
    assert re.search(r"dbt build \(forecast marts\) .*, [1-9][0-9]* data tests", stages), stages
    assert "validate sources" in stages and "validate marts" in stages and "publish" in stages
    with psycopg.connect(postgres_database) as connection:
        raw_tables = connection.execute(
            "select count(*) from information_schema.tables where table_schema like 'raw\\_%'"
        ).fetchone()
        built = connection.execute(SELECT_SCORECARD).fetchall()
        insights = [
            connection.execute(mart.select(mart_columns(reference, mart))).fetchall()
            for mart in INSIGHT_MARTS
        ]
        served = connection.execute(
            SELECT_SCORECARD.replace("marts.kpi_scorecard", "published.kpi_scorecard")
        ).fetchall()
        publication = connection.execute(
            "select count(distinct run_id), count(*) from published.publication"
        ).fetchone()
    assert_same_scorecard(built, reference)
    assert_same_scorecard(served, reference)
    for mart, rows in zip(INSIGHT_MARTS, insights, strict=True):
        assert rows, f"{mart.table} is empty on PostgreSQL"
        assert_same_rows(rows, reference, mart)
    assert_same_scorecard(
        _published_scorecard(unused.with_name("nyckeltal_published.duckdb")), reference
    )
    assert publication[0] == 1 and publication[1] > 5
    assert raw_tables == (16,)  # the 15 contract tables and the load manifest (tables_loaded)
    assert not unused.exists()


# A row the loader would refuse (negative spend), written straight into the engine's raw
# table: Great Expectations on the engine must refuse it with DuckDB's words.
# The last value is the loader's _loaded_at stamp (nyckeltal.contract.LOADED_AT_COLUMN).
BAD_AD_SPEND = "('2024-02-04', 'CA2', -50, 'EUR', 1, 0, current_timestamp)"


def _failure_lines(text: str) -> list[str]:
    """The data-quality lines of a summary (failures, reasons, examples), without timings."""
    return sorted(
        line.strip()
        for line in text.splitlines()
        if line.strip().startswith(("ERROR", "WARN", "check ", "why:", "e.g.", "sources not"))
    )


def _duckdb_refusal(minimal_dataset: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`nyckeltal run` on DuckDB after the bad row: refused (its lines go to stderr)."""
    warehouse = tmp_path / "duckdb" / "nyckeltal.duckdb"
    with monkeypatch.context() as patch:
        patch.setenv("NYCKELTAL_TARGET", "duckdb")
        assert main(["load", str(minimal_dataset), "--warehouse", str(warehouse)]) == 0
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute(f"insert into raw_marketing.ad_spend values {BAD_AD_SPEND}")
        assert main(["run", "--warehouse", str(warehouse)]) == 1


def test_postgres_refuses_bad_raw_rows_like_duckdb(
    postgres_database: str,
    minimal_dataset: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import psycopg

    unused = _run_environment(monkeypatch, tmp_path)
    _duckdb_refusal(minimal_dataset, monkeypatch, tmp_path)
    expected = _failure_lines(capsys.readouterr().err)
    for name, value in _postgres_environment(postgres_database).items():
        monkeypatch.setenv(name, value)
    assert main(["load", str(minimal_dataset), "--warehouse", str(unused)]) == 0
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        connection.execute(f"insert into raw_marketing.ad_spend values {BAD_AD_SPEND}")
    capsys.readouterr()
    assert main(["run", "--warehouse", str(unused)]) == 1
    actual = _failure_lines(capsys.readouterr().err)
    assert any("raw_marketing__ad_spend, column spend" in line for line in expected), expected
    assert actual == expected
    with psycopg.connect(postgres_database) as connection:
        schemas = connection.execute(
            "select count(*) from information_schema.schemata "
            "where schema_name in ('marts', 'published')"
        ).fetchone()
    assert schemas == (0,)  # nothing was built, nothing published


def test_nyckeltal_run_on_spark_validates_builds_and_publishes_the_minimal_dataset(
    dbt_built_warehouse: Callable[[str | Path], Path],
    minimal_dataset: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    progress_lines: list[str],
) -> None:
    """`NYCKELTAL_TARGET=spark nyckeltal run`: GX on Spark DataFrames, dbt build on Spark,
    the marts published (snapshot and Parquet) from the Spark tables; both scorecards equal
    DuckDB's, and so do the insight marts built on Spark. Then a bad raw row is refused by GX
    on Spark with DuckDB's words (one table: Spark validates slowly)."""
    reference = dbt_built_warehouse(FIXTURES / "minimal")
    spark_dir = tmp_path / "spark"
    for name, value in {
        "NYCKELTAL_TARGET": "spark",
        "NYCKELTAL_SPARK_METHOD": "session",
        "NYCKELTAL_SPARK_DIR": str(spark_dir),
        "NYCKELTAL_SPARK_DRIVER_MEMORY": "1g",
        # dbt's ~560 data tests take a Spark job each; the PostgreSQL run runs them, and
        # Great Expectations still checks the raw tables and the marts here.
        "NYCKELTAL_REFRESH_DBT_TESTS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    unused = _run_environment(monkeypatch, tmp_path)
    assert main(["load", str(minimal_dataset), "--warehouse", str(unused)]) == 0
    capsys.readouterr()
    assert main(["run", "--warehouse", str(unused)]) == 0
    assert "DuckDB-only, skipped on this engine" in capsys.readouterr().out
    stages = "\n".join(progress_lines)
    assert "validate sources" in stages and "validate marts" in stages and "publish" in stages
    scorecard, *insights = _read_spark(
        spark_dir,
        [SELECT_SCORECARD, *(mart.select(mart_columns(reference, mart)) for mart in INSIGHT_MARTS)],
    )
    assert_same_scorecard(scorecard, reference)
    for mart, rows in zip(INSIGHT_MARTS, insights, strict=True):
        assert_same_rows(rows, reference, mart)
    forecasts = insights[INSIGHT_MARTS.index(FORESIGHT_MARTS[0])]
    assert len(forecasts) > 10, "kpi_forecasts is (nearly) empty on Spark"
    assert "forecasts" in stages and "dbt build (forecast marts)" in stages, stages
    published = unused.with_name("nyckeltal_published.duckdb")
    assert_same_scorecard(_published_scorecard(published), reference)
    parquet = unused.with_name("published") / "current" / "kpi_scorecard.parquet"
    with duckdb.connect() as connection:
        exported = connection.execute(
            SELECT_SCORECARD.replace("marts.kpi_scorecard", f"read_parquet('{parquet}')")
        ).fetchall()
    assert_same_scorecard(exported, reference)
    assert not unused.exists()

    from nyckeltal import pipeline

    folder = spark_dir / "raw" / "raw_marketing" / "ad_spend"
    with duckdb.connect() as connection:
        connection.execute(
            f"create table bad as select * from read_parquet('{folder / 'part-0.parquet'}') limit 0"
        )
        connection.execute(f"insert into bad values {BAD_AD_SPEND}")
        connection.execute(f"copy bad to '{folder / 'part-1.parquet'}' (format parquet)")
    outcome = pipeline.validate_sources(
        RunContext.build(warehouse=unused), tables=["marketing.ad_spend"]
    )
    assert not outcome.passed
    spark_lines = _failure_lines(outcome.summary())
    warehouse = tmp_path / "duckdb.duckdb"
    monkeypatch.setenv("NYCKELTAL_TARGET", "duckdb")
    assert main(["load", str(minimal_dataset), "--warehouse", str(warehouse)]) == 0
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"insert into raw_marketing.ad_spend values {BAD_AD_SPEND}")
    duckdb_outcome = pipeline.validate_sources(
        RunContext.build(warehouse=warehouse), tables=["marketing.ad_spend"]
    )
    assert any("raw_marketing__ad_spend, column spend" in line for line in spark_lines)
    assert spark_lines == _failure_lines(duckdb_outcome.summary())
