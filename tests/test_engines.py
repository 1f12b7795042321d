"""The same project on PostgreSQL and on Apache Spark: only the dbt target changes.

Each test loads a dataset with `nyckeltal load` into the engine (NYCKELTAL_TARGET), builds
every model and data test with dbt on it, and compares its marts.kpi_scorecard with the one
DuckDB builds from the same files: the same rows, values within a relative 1e-9.

PostgreSQL: a private server (tests/postgres_server.py), the bundled demo dataset.
Spark: a local Spark (pyspark, dbt-spark's `session` method, Java 17), the minimal fixture
(Spark runs ~150 models one by one; the demo takes too long for the suite).
Neither test skips: an engine that does not start fails them.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from nyckeltal.cli import main
from nyckeltal.context import RunContext
from nyckeltal.scorecard import COLUMNS as SCORECARD_COLUMNS

KEY = ("kpi_code", "period_grain", "period_start", "segment_type", "segment_value")
SELECT_SCORECARD = f"select {', '.join(SCORECARD_COLUMNS)} from marts.kpi_scorecard"
FIXTURES = Path(__file__).parent / "fixtures"


def _normalised(rows: Iterable[Sequence[object]]) -> dict[tuple[object, ...], dict[str, object]]:
    table: dict[tuple[object, ...], dict[str, object]] = {}
    for row in rows:
        record = dict(zip(SCORECARD_COLUMNS, row, strict=True))
        for name, value in record.items():
            if isinstance(value, Decimal):
                record[name] = float(value)
            elif isinstance(value, dt.datetime):
                record[name] = value.date()
        key = tuple(record[name] for name in KEY)
        assert key not in table, f"duplicate scorecard key {key}"
        table[key] = record
    return table


def assert_same_scorecard(engine_rows: Iterable[Sequence[object]], duckdb_warehouse: Path) -> None:
    # churn_rate by risk_band comes from a dbt Python model: DuckDB only (disabled elsewhere).
    with duckdb.connect(str(duckdb_warehouse), read_only=True) as connection:
        expected = _normalised(
            connection.execute(f"{SELECT_SCORECARD} where segment_type != 'risk_band'").fetchall()
        )
    actual = _normalised(engine_rows)
    assert expected, "DuckDB built an empty scorecard"
    assert sorted(actual, key=repr) == sorted(expected, key=repr)
    differences = []
    for key, row in expected.items():
        for name, want in row.items():
            got = actual[key][name]
            if isinstance(want, float) and isinstance(got, float):
                if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
                    differences.append((key, name, got, want))
            elif got != want:
                differences.append((key, name, got, want))
    assert not differences, f"{len(differences)} differences, first: {differences[:5]}"


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


def _read_spark_scorecard(spark_dir: Path) -> list[tuple[object, ...]]:
    """marts.kpi_scorecard as dbt left it, read through the same metastore in a new
    Spark session (a subprocess: one JVM per test process is enough)."""
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
rows = [list(row) for row in spark.sql({SELECT_SCORECARD!r}).collect()]
json.dump(rows, sys.stdout, default=str)
spark.stop()
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=600
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    rows = json.loads(completed.stdout.strip().splitlines()[-1])
    return [
        tuple(
            dt.date.fromisoformat(value)
            if name in ("period_start", "period_end") and value is not None
            else value
            for name, value in zip(SCORECARD_COLUMNS, row, strict=True)
        )
        for row in rows
    ]


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
    snapshot file; the published scorecard equals DuckDB's."""
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
    assert "validate sources" in stages and "validate marts" in stages and "publish" in stages
    with psycopg.connect(postgres_database) as connection:
        raw_tables = connection.execute(
            "select count(*) from information_schema.tables where table_schema like 'raw\\_%'"
        ).fetchone()
        built = connection.execute(SELECT_SCORECARD).fetchall()
        served = connection.execute(
            SELECT_SCORECARD.replace("marts.kpi_scorecard", "published.kpi_scorecard")
        ).fetchall()
        publication = connection.execute(
            "select count(distinct run_id), count(*) from published.publication"
        ).fetchone()
    assert_same_scorecard(built, reference)
    assert_same_scorecard(served, reference)
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
    DuckDB's. Then a bad raw row is refused by GX on Spark with DuckDB's words (one table:
    Spark validates slowly)."""
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
    assert_same_scorecard(_read_spark_scorecard(spark_dir), reference)
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
