"""`nyckeltal bench` (also `python -m nyckeltal.benchmark`): how fast and how lean the refresh is.

For each named scale (`demo`, `s`, `m`, `l`) the synthetic dataset is generated once, then,
side by side in one run, every repeat measures:

- `load`: `nyckeltal load DIR` into a new warehouse (rows/s);
- `validate`: `nyckeltal validate --checkpoint sources --table marketing.web_events`, the
  source validation of the largest table (rows/s);
- `full_refresh`: `nyckeltal run` (the Dagster job) on a fresh copy of the loaded warehouse;
- `one_new_day`: `nyckeltal run --from D --to D` (the partition-window path) on a warehouse
  fully refreshed on the data without its last day D, once D's raw rows have been added;
- `baseline`: the same compiled SQL on raw DuckDB, no dbt, Dagster or Great Expectations:
  every model's compiled SQL (`dbt compile`, once, untimed) as `create or replace
  table/view <relation> as <sql>`, in the manifest's topological order, in one connection;
- `pandas`: what a user would otherwise write, the independent pandas implementation of the
  KPI spec (nyckeltal/oracle/) computing the scorecard from the same raw rows.

Every stage runs in its own child process, so its wall time includes the Python start and
imports, as on the command line, and its peak RSS (`os.wait4`) is its own: the largest process
of the stage (dbt's subprocess included), not the sum of them. Each child also times its work
alone, after its imports ("work s"); throughputs (rows/s) use that time.

The refreshes also record how long each of their stages took (the progress lines of
`nyckeltal run`: source validation, dbt, mart validation, churn-risk training and scoring,
publishing, alerts, report), so the report shows where a refresh spends its time.

Figures are medians over the repeats, with the min and the max, next to the targets of the
project (met, or missed by how much). A run measures the scales it is given and keeps the
other scales already in the output's JSON file (each with its own date, commit and load), so
`--scale l` can be measured alone, at another time, into the same report. The pandas peer is
not run at scale l unless `--stages` names it: it holds every raw table in memory (11.5 GiB
at 14.5M rows), more than this machine has at 130M. Results go to a Markdown file and a
JSON file next to it, with the machine they were measured on. Nothing outside the temporary
folder is written: the warehouses, published files, alerts, the dbt target and logs and the
Great Expectations project all live there (dbt's manifest is parsed there once, untimed, for
the one warehouse path every stage works on, as a user's daily runs do). Linux only (peak
RSS from `ru_maxrss` in KiB; /proc for the machine).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import graphlib
import importlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from nyckeltal import settings

SCALE_NAMES = ("tiny", "demo", "s", "m", "l")
STAGES = ("load", "validate", "full_refresh", "one_new_day", "baseline", "pandas")
NYCKELTAL_STAGES = STAGES[:4]  # what a user of nyckeltal runs (peak RSS target)
DEFAULT_SCALES = ("demo", "s")
DEFAULT_OUT = Path("benchmarks") / "results.md"
LOG_TAIL = 40
VALIDATED_TABLE = "marketing.web_events"  # the largest table
# Scales whose pandas peer is left out unless asked for by --stages (it would not fit in RAM).
PANDAS_TOO_LARGE = ("l",)
# A progress line of `nyckeltal run` (nyckeltal.progress): "<stage>  <detail>  (<seconds> s)".
# A stage that raised is logged with "FAILED " in front (a retried step may succeed after).
# Searched, not matched: a line may follow other output of the child that did not end with
# a newline (a library's progress bar).
PROGRESS_LINE = re.compile(
    r"(?<![A-Za-z])(?:FAILED )?(?P<stage>[a-z][a-z ]*?)\s{2,}.*\((?P<seconds>[0-9.]+) s\)$"
)
REFRESH_STAGES = ("full_refresh", "one_new_day")
# The daily-partitioned raw facts and their date column: the rows of the last day are held back
# for the one-new-day refresh (`--from D --to D` rebuilds these facts' partition D only).
PARTITIONED_RAW = (
    ("raw_marketing", "web_events", "occurred_at"),
    ("raw_marketing", "ad_spend", "spend_date"),
    ("raw_billing", "invoices", "issued_at"),
)


# --------------------------------------------------------------------------- the datasets


def generate_dataset(name: str, out: Path) -> None:
    """Write the dataset of scale `name` to `out` with the generator of `nyckeltal generate`
    (`nyckeltal.demo.scales`: tiny, demo, s, m, l), or a number: a multiple of the demo (tests use a
    tiny one)."""
    from nyckeltal.demo import generate

    generate(out, scale=name if name in SCALE_NAMES else float(name))


def scale_name(text: str) -> str:
    """A scale of the command line: a name, or a positive number (see generate_dataset)."""
    if text in SCALE_NAMES:
        return text
    try:
        number = float(text)
    except ValueError:
        number = 0.0
    if number <= 0:
        raise argparse.ArgumentTypeError(
            f"unknown scale {text!r}: one of {', '.join(SCALE_NAMES)} (or a positive number)"
        )
    return f"{number:g}"


# --------------------------------------------------------------------------- child side


def _load(data_dir: Path, warehouse: Path) -> None:
    """What `nyckeltal load DIR` runs."""
    from nyckeltal.context import RunContext
    from nyckeltal.loader import load_directory

    print(load_directory(data_dir, RunContext.build(warehouse=warehouse)).summary())


def _validate(warehouse: Path) -> None:
    """What `nyckeltal validate --checkpoint sources --table <the largest table>` runs."""
    from nyckeltal.context import RunContext
    from nyckeltal.pipeline import validate_sources

    outcome = validate_sources(RunContext.build(warehouse=warehouse), tables=[VALIDATED_TABLE])
    print(outcome.summary())
    if not outcome.passed:
        raise SystemExit(1)


def _refresh(warehouse: Path, day: dt.date | None = None) -> None:
    """What `nyckeltal run [--from DAY --to DAY]` runs: the Dagster job, in process, launched
    through the command line's edge (nyckeltal.launch)."""
    from nyckeltal.context import RunContext
    from nyckeltal.launch import launch_refresh

    context = RunContext.build(warehouse=warehouse, window=(day, day) if day else None)
    if not launch_refresh(context):
        raise SystemExit(1)


def _prepare(root: Path) -> None:
    """Untimed: dbt's manifest for the runs (a daily run finds it ready) and the GX project.
    Parsed with the warehouse path of every measured stage (`active_warehouse`): the path is
    part of dbt's profile, and a changed profile would cost every run a full parse."""
    from nyckeltal.context import RunContext
    from nyckeltal.dbt_runner import run_dbt
    from nyckeltal.quality.project import write_project

    context = RunContext.build(warehouse=active_warehouse(root))
    run_dbt(["parse", "--quiet"], context, quiet=True)
    write_project(context.gx_dir, context.project_dir)


def _compile(root: Path) -> None:
    """Untimed, for the baseline: the seeds loaded by dbt into an empty warehouse, then the
    project compiled on it, so incremental models compile to their full SQL; the manifest and
    that warehouse kept in their own folder (`compiled/`). Run on the warehouse path and dbt
    target of the measured stages, so that dbt reuses the parse of `prepare` (another path
    is another profile: a full parse); the warehouse is moved away before any stage runs."""
    from nyckeltal.context import RunContext
    from nyckeltal.dbt_runner import run_dbt

    context = RunContext.build(warehouse=active_warehouse(root))
    context.warehouse.unlink(missing_ok=True)
    run_dbt(["seed", "--quiet"], context, quiet=True)
    run_dbt(["compile", "--quiet"], context, quiet=True)
    compiled = root / "compiled"
    compiled.mkdir(exist_ok=True)
    shutil.copyfile(context.dbt_target_path / "manifest.json", compiled / "manifest.json")
    shutil.move(context.warehouse, compiled / "warehouse.duckdb")


def _baseline(root: Path, warehouse: Path) -> int:
    """The seed tables copied from the compile warehouse, then every model's compiled SQL,
    in topological order, on one DuckDB connection; return the number of models."""
    import duckdb

    manifest = json.loads((root / "compiled" / "manifest.json").read_text(encoding="utf-8"))
    seeds = [node for node in manifest["nodes"].values() if node["resource_type"] == "seed"]
    every_model = {
        uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"
    }
    # Ephemeral models are inlined by dbt: they are not run, but their parents are parents of
    # the models that use them.
    models = {
        uid: node
        for uid, node in every_model.items()
        if node["config"]["materialized"] != "ephemeral"
    }

    def parents(uid: str) -> set[str]:
        found: set[str] = set()
        for parent in every_model[uid]["depends_on"]["nodes"]:
            if parent in models:
                found.add(parent)
            elif parent in every_model:
                found |= parents(parent)
        return found

    graph = {uid: sorted(parents(uid)) for uid in models}
    with duckdb.connect(str(warehouse)) as connection:
        nodes = [*seeds, *models.values()]
        for database, schema in sorted({(n["database"], n["schema"]) for n in nodes}):
            connection.execute(f'create schema if not exists "{database}"."{schema}"')
        if seeds:
            seeded = root / "compiled" / "warehouse.duckdb"
            connection.execute(f"attach '{seeded}' as seeded (read_only)")
            for node in seeds:
                connection.execute(
                    f"create or replace table {node['relation_name']} as "
                    f'select * from seeded."{node["schema"]}"."{node["alias"]}"'
                )
            connection.execute("detach seeded")
        for uid in graphlib.TopologicalSorter(graph).static_order():
            node = models[uid]
            if node.get("language") == "python":
                _run_python_model(connection, node)
                continue
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            connection.execute(
                f"create or replace {kind} {node['relation_name']} as {node['compiled_code']}"
            )
    return len(models)


def _run_python_model(connection: Any, node: dict) -> None:
    """A dbt Python model as dbt-duckdb runs it, without dbt: its compiled code defines
    `model(dbt, session)` and dbt's `dbtObj` (ref, source, config), which reads a relation
    through the connection; the model's result becomes the table."""
    namespace: dict[str, Any] = {"__name__": f"baseline_{node['name']}"}
    exec(compile(node["compiled_code"], node["original_file_path"], "exec"), namespace)
    dbt = namespace["dbtObj"](lambda relation: connection.sql(f"select * from {relation}"))
    result = namespace["model"](dbt, connection)
    frame = result.df() if hasattr(result, "df") else result
    connection.register("python_model_result", frame)
    try:
        connection.execute(
            f"create or replace table {node['relation_name']} as select * from python_model_result"
        )
    finally:
        connection.unregister("python_model_result")


def _pandas(warehouse: Path) -> int:
    """The scorecard rows of nyckeltal.oracle (pandas), from the raw tables of the warehouse."""
    import duckdb

    from nyckeltal.oracle import families_1_to_5, families_6_to_10

    rows = len(families_1_to_5.compute_kpis(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows += len(families_6_to_10.oracle_rows(connection))
    return rows


# What a stage imports before its clock starts (its work time leaves them out). Warm-ups only:
# a module that has moved is skipped, the stage then pays its import in its work time.
PRELOAD = {
    "load": ("nyckeltal.loader",),
    "generate": ("nyckeltal.demo",),
    "validate": (
        "great_expectations",
        "nyckeltal.pipeline",
        "nyckeltal.quality.runner",
    ),
    "full_refresh": ("nyckeltal.launch",),
    "one_new_day": ("nyckeltal.launch",),
    "prepare_one_new_day": ("nyckeltal.launch",),
    "baseline": ("duckdb",),
    "pandas": ("duckdb", "pandas"),
}


def _imports(stage: str) -> None:
    for module in PRELOAD.get(stage, ()):
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(module)
    if "nyckeltal.launch" in PRELOAD.get(stage, ()):
        from nyckeltal.launch import import_refresh

        import_refresh()


def stage_main(argv: Sequence[str]) -> int:
    """One stage, in the child process: `STAGE ROOT DATA WAREHOUSE SCALE DAY RESULT_JSON`."""
    stage, root, data, warehouse, scale, day, result_file = argv
    root_dir, data_dir, path = Path(root), Path(data), Path(warehouse)
    _imports(stage)
    extra: dict[str, int] = {}
    started = time.perf_counter()
    if stage == "generate":
        generate_dataset(scale, data_dir)
    elif stage == "prepare":
        _prepare(root_dir)
    elif stage == "compile":
        _compile(root_dir)
    elif stage == "load":
        _load(data_dir, path)
    elif stage == "validate":
        _validate(path)
    elif stage in ("full_refresh", "prepare_one_new_day"):
        _refresh(path)
    elif stage == "one_new_day":
        _refresh(path, dt.date.fromisoformat(day))
    elif stage == "baseline":
        extra["models"] = _baseline(root_dir, path)
    elif stage == "pandas":
        extra["scorecard_rows"] = _pandas(path)
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    work = time.perf_counter() - started
    Path(result_file).write_text(json.dumps({"work": work, **extra}), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------- parent side


class StageFailed(RuntimeError):
    """A stage's child process failed; the message ends with the tail of its log."""


# DuckDB's memory limit of every stage (`--duckdb-memory-limit`); None: the default setting.
MEMORY_LIMIT: dict[str, str | None] = {"value": None}


def stage_environment(root: Path, warehouse: Path) -> dict[str, str]:
    """The environment of a stage: every path in the temporary folder, no user settings
    (but the memory limit the benchmark was given)."""
    env = settings.environment_without_settings()
    if MEMORY_LIMIT["value"]:
        env["NYCKELTAL_DUCKDB_MEMORY_LIMIT"] = MEMORY_LIMIT["value"]
    env.update(
        NYCKELTAL_WAREHOUSE=str(warehouse),
        NYCKELTAL_PUBLISHED=str(warehouse.with_name("published.duckdb")),
        NYCKELTAL_ALERTS_FILE=str(warehouse.with_name("alerts.jsonl")),
        NYCKELTAL_GX_DIR=str(root / "gx"),
        NYCKELTAL_RETRIES="0",  # a retried step would hide in the time
        DBT_TARGET_PATH=str(root / "dbt-target"),
        DBT_LOG_PATH=str(root / "dbt-logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def measure(
    stage: str,
    root: Path,
    data: Path,
    warehouse: Path,
    scale: str = "",
    day: str = "",
) -> dict[str, float | int | None]:
    """Run one stage in a child process: wall and work seconds, peak RSS (MiB); the caller
    sets the rows the stage handles."""
    result_file = root / f"{stage}.result.json"
    result_file.unlink(missing_ok=True)
    log = root / "logs" / f"{stage}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-c",
        "import sys; from nyckeltal.benchmark import stage_main; "
        "sys.exit(stage_main(sys.argv[1:]))",
        *(stage, str(root), str(data), str(warehouse), scale, day, str(result_file)),
    ]
    with open(log, "w", encoding="utf-8") as output:
        started = time.perf_counter()
        child = subprocess.Popen(
            command,
            cwd=settings.project_dir(),
            env=stage_environment(root, warehouse),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or not result_file.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL:]
        raise StageFailed(
            f"stage {stage} (scale {scale or '-'}) failed with exit {child.returncode}; "
            "the end of its output:\n" + "\n".join(tail)
        )
    result = json.loads(result_file.read_text(encoding="utf-8"))
    if stage in REFRESH_STAGES:
        output = log.read_text(encoding="utf-8", errors="replace")
        result["parts"] = refresh_parts(output)
        result["progress"] = progress_lines(output)  # kept in the JSON, to read afterwards
    return {
        "seconds": seconds,
        "work_seconds": result.pop("work"),
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "rows": None,
        **result,  # what the stage counted: models of the baseline, scorecard rows of pandas
    }


def _progress_matches(output: str) -> list[re.Match[str]]:
    found = (PROGRESS_LINE.search(line.strip()) for line in output.splitlines())
    return [match for match in found if match]


def progress_lines(output: str) -> list[str]:
    """The progress lines of a refresh's output (one per stage, failed ones included)."""
    return [match[0] for match in _progress_matches(output)]


def refresh_parts(output: str) -> dict[str, float]:
    """The seconds of each stage of a refresh, from its progress lines (a stage run twice,
    retried after a failure, counts both times)."""
    parts: dict[str, float] = {}
    for match in _progress_matches(output):
        parts[match["stage"]] = parts.get(match["stage"], 0.0) + float(match["seconds"])
    return parts


def raw_rows(warehouse: Path) -> dict[str, int]:
    """Rows of every raw table (`raw_*` schemas), by `schema.table`."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name like 'raw\\_%' escape '\\' order by all"
        ).fetchall()
        return {
            f"{schema}.{table}": connection.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
            for schema, table in tables
        }


def hold_back_last_day(warehouse: Path, hold: Path) -> str:
    """Move the rows of the last day of web events from the partitioned raw facts of
    `warehouse` into the DuckDB file `hold`; return that day (YYYY-MM-DD)."""
    import duckdb

    with duckdb.connect(str(warehouse)) as connection:
        day = connection.execute(
            "select max(cast(occurred_at as date)) from raw_marketing.web_events"
        ).fetchone()[0]
        connection.execute(f"attach '{hold}' as hold")
        for schema, table, column in PARTITIONED_RAW:
            where = f"cast({column} as date) = ?"
            connection.execute(
                f"create table hold.{schema}__{table} as "
                f"select * from {schema}.{table} where {where}",
                [day],
            )
            connection.execute(f"delete from {schema}.{table} where {where}", [day])
        connection.execute("detach hold")
    return day.isoformat()


def add_held_day(warehouse: Path, hold: Path) -> int:
    """Insert the held-back rows into the raw facts of `warehouse`; return how many."""
    import duckdb

    added = 0
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"attach '{hold}' as hold (read_only)")
        for schema, table, _ in PARTITIONED_RAW:
            connection.execute(f"insert into {schema}.{table} select * from hold.{schema}__{table}")
            added += connection.execute(f"select count(*) from hold.{schema}__{table}").fetchone()[
                0
            ]
        connection.execute("detach hold")
    return added


def _note(line: str) -> None:
    print(line, flush=True)


def _show(label: str, sample: dict) -> str:
    rows = f", {sample['rows']:,} rows" if sample.get("rows") is not None else ""
    return (
        f"{label:<40} {sample['seconds']:8.1f} s (work {sample['work_seconds']:7.1f} s) "
        f"{sample['peak_rss_mib']:7.0f} MiB{rows}"
    )


def active_warehouse(root: Path) -> Path:
    """The one warehouse path of every measured stage, as a user's daily runs have: each
    stage gets a fresh copy there (`warehouse.duckdb`, the name dbt's compiled relations
    expect for their database)."""
    return root / "active" / "warehouse.duckdb"


def _fresh_copy(source: Path, target: Path) -> Path:
    """A copy of `source` at `target`, in a new, empty folder."""
    if target.parent.exists():
        shutil.rmtree(target.parent)
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    return target


def bench_scale(
    scale: str, repeats: int, root: Path, stages: Sequence[str]
) -> tuple[dict[str, list[dict]], dict[str, object]]:
    """Every sample of one scale, {stage: [one measurement per repeat]}, and facts about the
    dataset (rows loaded, web events, the day of the one-new-day refresh)."""
    samples: dict[str, list[dict]] = {stage: [] for stage in ("generate", *stages)}
    facts: dict[str, object] = {}
    data, work, active = root / f"data-{scale}", root / f"scale-{scale}", active_warehouse(root)
    work.mkdir()

    def note(label: str, sample: dict) -> None:
        _note(_show(f"[{scale}] {label}", sample))

    samples["generate"].append(measure("generate", root, data, active, scale))
    note("generate", samples["generate"][0])
    loaded = work / "loaded.duckdb"
    for repeat in range(1, repeats + 1):  # load into a new warehouse every time
        shutil.rmtree(active.parent, ignore_errors=True)
        sample = measure("load", root, data, active, scale)
        if repeat == 1:
            counts = raw_rows(active)
            facts.update(loaded_rows=sum(counts.values()), raw_tables=counts)
            facts["web_events"] = counts.get("raw_marketing.web_events")
            shutil.copyfile(active, loaded)
        sample["rows"] = facts["loaded_rows"]
        samples["load"].append(sample)
        note(f"{repeat}/{repeats} load", sample)

    day, base, hold = "", work / "day-base.duckdb", work / "held-day.duckdb"
    if "one_new_day" in stages:  # untimed, once per scale
        _fresh_copy(loaded, active)
        day = hold_back_last_day(active, hold)
        facts["one_new_day"] = day
        sample = measure("prepare_one_new_day", root, data, active, scale)
        note(f"full refresh without {day} (untimed)", sample)
        shutil.copyfile(active, base)

    rows = {
        "validate": facts["web_events"],
        "full_refresh": facts["loaded_rows"],
        "baseline": facts["loaded_rows"],
        "pandas": facts["loaded_rows"],
    }
    for repeat in range(1, repeats + 1):
        for stage in stages[1:]:
            target = active
            if stage == "one_new_day":
                _fresh_copy(base, active)
                facts["one_new_day_rows"] = rows[stage] = add_held_day(active, hold)
            elif stage == "pandas":  # reads the raw tables only
                target = loaded
            else:
                _fresh_copy(loaded, active)
            sample = measure(stage, root, data, target, scale, day)
            sample["rows"] = rows[stage]
            samples[stage].append(sample)
            note(f"{repeat}/{repeats} {stage}", sample)
    shutil.rmtree(active.parent, ignore_errors=True)
    shutil.rmtree(work)
    shutil.rmtree(data)
    return samples, facts


# --------------------------------------------------------------------------- the report


def summarize(samples: list[dict]) -> dict:
    """Median, min and max wall seconds, median work seconds, the highest peak RSS, rows and
    rows per (work) second."""
    seconds = [sample["seconds"] for sample in samples]
    work = statistics.median(sample["work_seconds"] for sample in samples)
    rows = samples[0]["rows"]
    counted = {key: samples[0][key] for key in ("models", "scorecard_rows") if key in samples[0]}
    parts = [sample["parts"] for sample in samples if sample.get("parts")]
    if parts:
        counted["parts"] = {
            name: statistics.median(part.get(name, 0.0) for part in parts) for name in parts[0]
        }
    return {
        **counted,
        "n": len(seconds),
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "max_s": max(seconds),
        "work_s": work,
        "peak_rss_mib": max(sample["peak_rss_mib"] for sample in samples),
        "rows": rows,
        "rows_per_s": rows / work if rows and work else None,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def side_by_side(stages: dict[str, dict]) -> dict[str, float | None]:
    """The headline figures of one scale, from its stage summaries."""

    def get(stage: str, key: str) -> float | None:
        return stages[stage][key] if stage in stages else None

    rss = [stages[s]["peak_rss_mib"] for s in NYCKELTAL_STAGES if s in stages]
    full = get("full_refresh", "median_s")
    return {
        "load_rows_per_s": get("load", "rows_per_s"),
        "full_refresh_s": full,
        "one_new_day_s": get("one_new_day", "median_s"),
        "one_new_day_share": _ratio(get("one_new_day", "median_s"), full),
        "validation_rows_per_s": get("validate", "rows_per_s"),
        "baseline_s": get("baseline", "median_s"),
        "overhead": _ratio(full, get("baseline", "median_s")),
        "pandas_s": get("pandas", "median_s"),
        "pandas_ratio": _ratio(get("pandas", "median_s"), full),
        "peak_rss_mib": max(rss) if rss else None,
    }


# (label, the scale it applies to or None for every scale, headline key, "<=" or ">=", target)
TARGETS: tuple[tuple[str, str | None, str, str, float], ...] = (
    ("tiny `nyckeltal run` (full refresh) <= 8 s", "tiny", "full_refresh_s", "<=", 8.0),
    ("demo `nyckeltal run` (full refresh) <= 12 s", "demo", "full_refresh_s", "<=", 12.0),
    ("l full refresh with validation <= 120 s", "l", "full_refresh_s", "<=", 120.0),
    ("one new day <= 10 % of the full refresh", None, "one_new_day_share", "<=", 0.10),
    ("one new day at m <= 5 s", "m", "one_new_day_s", "<=", 5.0),
    ("one new day at l <= 30 s", "l", "one_new_day_s", "<=", 30.0),
    ("peak RSS <= 12 GiB", None, "peak_rss_mib", "<=", 12 * 1024.0),
    ("validation >= 20M rows/s at l", "l", "validation_rows_per_s", ">=", 20e6),
    ("overhead (full refresh / raw DuckDB) <= 1.25x", None, "overhead", "<=", 1.25),
    ("pandas / nyckeltal >= 5x at m (full refresh)", "m", "pandas_ratio", ">=", 5.0),
    ("load >= 5M rows/s", None, "load_rows_per_s", ">=", 5e6),
)


def check_targets(headlines: dict[str, dict[str, float | None]]) -> list[dict]:
    """Every target against every measured scale it applies to: met, or missed by how much
    (the factor between the figure and the target, >= 1). A target whose scale was not
    measured is listed as not measured."""
    checks = []
    for label, only, key, op, target in TARGETS:
        scales = [only] if only else list(headlines)
        for scale in scales:
            value = headlines.get(scale, {}).get(key)
            check = {"target": label, "scale": scale, "key": key, "op": op, "goal": target}
            if value is None:
                check.update(value=None, met=None, factor=None)
            else:
                met = value <= target if op == "<=" else value >= target
                factor = _ratio(value, target) if op == "<=" else _ratio(target, value)
                check.update(value=value, met=met, factor=factor)
            checks.append(check)
    return checks


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=settings.project_dir(), capture_output=True)
    return done.stdout.decode().strip() if done.returncode == 0 else "unknown"


def machine() -> dict[str, object]:
    """The machine and the software the figures are measured with, and the code: the commit
    and whether tracked files differ from it (the working tree is what gets measured)."""
    meminfo = Path("/proc/meminfo").read_text().split()
    cpus = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line]
    packages = ("duckdb", "dbt-core", "dbt-duckdb", "great-expectations", "dagster", "pandas")
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1),
        "cpu": cpus[0].split(":", 1)[1].strip() if cpus else platform.processor(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        **{name: metadata.version(name) for name in packages},
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def build_report(
    raw: dict[str, dict[str, list[dict]]],
    repeats: int,
    seconds: float,
    setup: dict,
    facts: dict[str, dict] | None = None,
    kept: Sequence[dict] = (),
) -> dict:
    """Summaries per scale and stage, the headline figures side by side and the targets;
    `setup` is `machine()` taken before measuring; `kept`: the entries of scales measured
    earlier (kept_scales), shown beside the new ones."""
    facts = facts or {}
    results = {scale: {stage: summarize(s) for stage, s in raw[scale].items()} for scale in raw}
    measured = {
        key: setup.get(key)
        for key in ("date", "git_commit", "git_dirty", "load_average_at_start", "memory_limit")
    }
    entries = [
        {
            "scale": scale,
            **facts.get(scale, {}),
            "measured": {**measured, "repeats": repeats},
            "headline": side_by_side(results[scale]),
            "stages": results[scale],
            "samples": raw[scale],
        }
        for scale in raw
    ]
    order = {name: index for index, name in enumerate(SCALE_NAMES)}
    entries = sorted([*kept, *entries], key=lambda entry: order.get(entry["scale"], len(order)))
    return {
        "machine": setup,
        "repeats": repeats,
        "benchmark_seconds": round(seconds, 1),
        "scales": entries,
        "targets": check_targets({entry["scale"]: entry["headline"] for entry in entries}),
    }


def kept_scales(out: Path, measured: Sequence[str]) -> list[dict]:
    """The entries of the report's JSON file (`out` with .json) for the scales this run does
    not measure; entries of an older format (no `measured`) are dropped."""
    path = out.with_suffix(".json")
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("scales", [])
    except (json.JSONDecodeError, AttributeError):
        return []
    return [
        entry
        for entry in entries
        if entry.get("scale") in SCALE_NAMES
        and entry["scale"] not in measured
        and "measured" in entry
    ]


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _rate(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 1e6:
        return f"{value / 1e6:,.2f}M"
    return f"{value / 1e3:,.0f}k" if value >= 1e4 else f"{value:,.0f}"


HEADLINE_FORMAT: dict[str, Callable[[float | None], str]] = {
    "load_rows_per_s": _rate,
    "validation_rows_per_s": _rate,
    "one_new_day_share": lambda v: "–" if v is None else f"{100 * v:.0f} %",
    "overhead": lambda v: "–" if v is None else f"{v:.2f}x",
    "pandas_ratio": lambda v: "–" if v is None else f"{v:.2f}x",
    "peak_rss_mib": lambda v: "–" if v is None else f"{v / 1024:.2f} GiB",
}
HEADLINES = (
    ("load rows/s", "load_rows_per_s"),
    ("full refresh s", "full_refresh_s"),
    ("one new day s", "one_new_day_s"),
    ("one new day / full", "one_new_day_share"),
    ("validation rows/s (web_events)", "validation_rows_per_s"),
    ("raw DuckDB baseline s", "baseline_s"),
    ("overhead: full / baseline", "overhead"),
    ("pandas s", "pandas_s"),
    ("pandas / full refresh", "pandas_ratio"),
    ("peak RSS (nyckeltal stages)", "peak_rss_mib"),
)


def _headline(key: str, value: float | None) -> str:
    return HEADLINE_FORMAT.get(key, _number)(value)


def _verdict(check: dict) -> str:
    if check["met"] is None:
        return "not measured"
    shown = _headline(check["key"], check["value"])
    if check["met"]:
        return f"met ({shown})"
    return f"**missed** by {check['factor']:.2f}x ({shown})"


def render_markdown(report: dict, command: str) -> str:
    m, scales = report["machine"], report["scales"]
    dirty = " + uncommitted changes" if m["git_dirty"] else ""
    if m.get("git_commit_at_end", m["git_commit"]) != m["git_commit"]:
        dirty += f" (HEAD was {m['git_commit_at_end']} at the end)"
    names = [entry["scale"] for entry in scales]
    memory = f"; DuckDB memory limit {m['memory_limit']}" if m.get("memory_limit") else ""
    lines = [
        "# Nyckeltal benchmark",
        "",
        f"Produced by `{command}` (how to read it: [README.md](README.md)).",
        "",
        f"- machine: {m['nproc']} cores, {m['cpu']}, {m['memory_gib']} GiB RAM, {m['os']}; "
        f"load average at start {' '.join(map(str, m['load_average_at_start']))}",
        f"- Python {m['python']}, duckdb {m['duckdb']}, dbt-core {m['dbt-core']}, dbt-duckdb "
        f"{m['dbt-duckdb']}, great-expectations {m['great-expectations']}, "
        f"dagster {m['dagster']}, pandas {m['pandas']}",
        f"- last run: {m['date']}, git commit {m['git_commit']}{dirty}; {report['repeats']} "
        f"repeat(s) per stage, generate once per scale{memory}; it took "
        f"{report['benchmark_seconds'] / 60:.1f} min",
    ]
    for entry in scales:
        when = entry["measured"]
        size = (
            f"{entry['loaded_rows']:,} raw rows, {entry.get('web_events') or 0:,} web events; "
            if entry.get("loaded_rows")
            else ""
        )
        day = f"one new day = {entry['one_new_day']}; " if entry.get("one_new_day") else ""
        memory = when.get("memory_limit")
        lines.append(
            f"- scale {entry['scale']}: {size}{day}measured {when['date']} at "
            f"{when['git_commit']}{' + uncommitted changes' if when.get('git_dirty') else ''}, "
            f"{when['repeats']} repeat(s), load average at start "
            + " ".join(map(str, when["load_average_at_start"]))
            + (f", DuckDB memory limit {memory}" if memory else "")
        )
    lines += [
        "",
        "## Side by side (medians)",
        "",
        "| | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for label, key in HEADLINES:
        values = [_headline(key, entry["headline"][key]) for entry in scales]
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    lines += ["", "## Targets", "", "| target | scale | result |", "|---|---|---|"]
    for check in report["targets"]:
        lines.append(f"| {check['target']} | {check['scale']} | {_verdict(check)} |")
    lines += refresh_parts_table(scales)
    lines += [
        "",
        "## Every stage",
        "",
        "| scale | stage | median s | min s | max s | work s | peak RSS MiB | rows | rows/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in scales:
        for stage, s in entry["stages"].items():
            rows = f"{s['rows']:,}" if s["rows"] else "–"
            lines.append(
                f"| {entry['scale']} | {stage} | {_number(s['median_s'])} | "
                f"{_number(s['min_s'])} | {_number(s['max_s'])} | {_number(s['work_s'])} | "
                f"{_number(s['peak_rss_mib'], 0)} | {rows} | {_number(s['rows_per_s'], 0)} |"
            )
    return "\n".join(lines) + "\n"


def refresh_parts_table(scales: Sequence[dict]) -> list[str]:
    """Where the refreshes spend their time: the median seconds of each progress stage."""
    rows = [
        (entry["scale"], stage, entry["stages"][stage]["parts"])
        for entry in scales
        for stage in REFRESH_STAGES
        if entry["stages"].get(stage, {}).get("parts")
    ]
    if not rows:
        return []
    names = list(dict.fromkeys(name for _, _, parts in rows for name in parts))
    lines = [
        "",
        "## Where a refresh spends its time (median s per progress stage)",
        "",
        "| scale | refresh | " + " | ".join(names) + " |",
        "|---|---|" + "---:|" * len(names),
    ]
    for scale, stage, parts in rows:
        cells = [_number(parts.get(name)) for name in names]
        lines.append(f"| {scale} | {stage} | " + " | ".join(cells) + " |")
    return lines


# --------------------------------------------------------------------------- command line


def _stages(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(STAGES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown stage {', '.join(unknown)}; from {STAGES}")
    if chosen and "load" not in chosen:
        raise argparse.ArgumentTypeError(
            "every stage works on a freshly loaded warehouse: add load"
        )
    return [stage for stage in STAGES if stage in chosen]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `nyckeltal bench` and `python -m nyckeltal.benchmark`."""
    parser.add_argument(
        "--scale",
        dest="scales",
        action="append",
        type=scale_name,
        metavar="{" + ",".join(SCALE_NAMES) + "}",
        help="dataset scale, repeatable (default: " + " and ".join(DEFAULT_SCALES) + ")",
    )
    parser.add_argument("--repeats", type=int, default=3, help="per stage (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument(
        "--duckdb-memory-limit",
        metavar="SIZE",
        help="DuckDB memory limit of every stage, e.g. 10GiB (default: the setting "
        "NYCKELTAL_DUCKDB_MEMORY_LIMIT's default, 75%% of the RAM); beyond it DuckDB spills",
    )
    parser.add_argument(
        "--stages",
        type=_stages,
        default=None,
        help="comma-separated subset of " + ",".join(STAGES) + " (default all, but pandas at "
        "scale l; every stage needs load)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nyckeltal.benchmark",
        description="Time loading, validation, the full and one-new-day refreshes, the raw "
        "DuckDB baseline and the pandas peer (medians of repeats, peak RSS per stage) at named "
        "dataset scales; write a Markdown report and a JSON file next to it.",
    )
    add_arguments(parser)
    return parser


def stages_of(scale: str, stages: Sequence[str], explicit: bool) -> list[str]:
    """The stages measured at `scale`: without an explicit --stages, no pandas peer at the
    scales it cannot hold in memory (PANDAS_TOO_LARGE)."""
    if explicit or scale not in PANDAS_TOO_LARGE:
        return list(stages)
    return [stage for stage in stages if stage != "pandas"]


def run_benchmark(
    scales: Sequence[str],
    repeats: int,
    out: Path,
    stages: Sequence[str] = STAGES,
    explicit: bool = False,
) -> dict:
    """Measure, then write `out` (Markdown) and `out` with .json; return the report."""
    started, setup = time.perf_counter(), machine()
    setup["memory_limit"] = MEMORY_LIMIT["value"]
    raw: dict[str, dict[str, list[dict]]] = {}
    facts: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="nyckeltal-benchmark-") as folder:
        root = Path(folder)
        _note(
            f"Benchmark in {root}: scales {', '.join(scales)}, {repeats} repeat(s), "
            f"stages {', '.join(stages)}"
        )
        if any(stage in stages for stage in ("validate", "full_refresh", "one_new_day")):
            prepared = measure("prepare", root, root, active_warehouse(root))
            _note(_show("dbt parse, GX project (untimed)", prepared))
        if "baseline" in stages:
            compiled = measure("compile", root, root, active_warehouse(root))
            _note(_show("dbt seed + compile (untimed)", compiled))
        for scale in scales:
            raw[scale], facts[scale] = bench_scale(
                scale, repeats, root, stages_of(scale, stages, explicit)
            )
    setup["git_commit_at_end"] = git("rev-parse", "--short", "HEAD")
    report = build_report(
        raw, repeats, time.perf_counter() - started, setup, facts, kept_scales(out, scales)
    )
    command = "nyckeltal bench {} --repeats {} --out {}".format(
        " ".join(f"--scale {s}" for s in scales), repeats, out
    )
    if list(stages) != list(STAGES):
        command += f" --stages {','.join(stages)}"
    if MEMORY_LIMIT["value"]:
        command += f" --duckdb-memory-limit {MEMORY_LIMIT['value']}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(report, command), encoding="utf-8")
    out.with_suffix(".json").write_text(
        json.dumps({"command": command, **report}, indent=2) + "\n", encoding="utf-8"
    )
    _note(f"Wrote {out} and {out.with_suffix('.json')} in {report['benchmark_seconds']:.0f} s")
    return report


def bench(args: argparse.Namespace) -> int:
    """Run the benchmark from parsed options (`nyckeltal bench`); the exit code."""
    if args.repeats < 1:
        print("bench: error: --repeats must be at least 1", file=sys.stderr)
        return 2
    scales = list(dict.fromkeys(args.scales or DEFAULT_SCALES))
    MEMORY_LIMIT["value"] = args.duckdb_memory_limit
    try:
        run_benchmark(
            scales, args.repeats, args.out, args.stages or list(STAGES), args.stages is not None
        )
    except StageFailed as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return bench(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
