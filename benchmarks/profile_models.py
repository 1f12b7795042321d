"""Per-model timings: the models' SQL alone, and dbt builds (full, and one new day).

Usage (from the repository root, after `nyckeltal generate` and `nyckeltal load` into RAW):

    .venv/bin/python benchmarks/profile_models.py sql BUILT.duckdb MODEL... [--repeats 3]
    .venv/bin/python benchmarks/profile_models.py dbt RAW.duckdb [--repeats 3] [--modes ...]

`sql`: BUILT is a warehouse `dbt build` has built; each MODEL's compiled SELECT (from
target/compiled of --project-dir, which `dbt compile` or the build wrote) runs as
`create temp table ... as` on a read-only connection with 2 DuckDB threads, --repeats times;
it prints the median and min seconds per model (no dbt start-up, hooks or tests).

`dbt`: each repeat copies the loaded warehouse RAW (never modified) into a temporary folder and
1. `full`: runs `dbt build` (the profile's 2 threads) on it, the first build of an empty
   warehouse;
2. `one_day`: on another copy without the raw rows of the last day of web events (and the
   invoices and ad spend of that day), runs `dbt build`, puts the day's rows back and times
   `dbt build --vars {partition_start_date: DAY, partition_end_date: DAY}`.
It prints, per mode, the median seconds of the whole `dbt build` (wall), of all models
(sum of execution times) and of the slowest models, from dbt's target/run_results.json.
`--project-dir` profiles another checkout (e.g. an older commit exported with `git archive`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

RAW_FACT_DATES = {
    "raw_marketing.web_events": "cast(occurred_at as date)",
    "raw_billing.invoices": "cast(issued_at as date)",
    "raw_marketing.ad_spend": "spend_date",
}


def dbt_build(project: Path, warehouse: Path, work: Path, dbt_vars: dict[str, str] | None) -> dict:
    """Run `dbt build`: {"wall": seconds, "nodes": {unique_id: execution seconds}}."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "build", "-q", "--project-dir", str(project)]
    command += ["--profiles-dir", str(project)]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    env = dict(os.environ, NYCKELTAL_WAREHOUSE=str(warehouse))
    env.update(DBT_TARGET_PATH=str(work / "target"), DBT_LOG_PATH=str(work / "logs"))
    started = time.perf_counter()
    subprocess.run(command, cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    results = json.loads((work / "target" / "run_results.json").read_text())
    nodes = {r["unique_id"]: r["execution_time"] for r in results["results"]}
    return {"wall": wall, "nodes": nodes}


def last_day(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (day,) = connection.execute(
            "select max(cast(occurred_at as date)) from raw_marketing.web_events"
        ).fetchone()
    return day.isoformat()


def one_day_refresh(project: Path, raw: Path, work: Path) -> dict:
    day = last_day(raw)
    warehouse = work / "one_day.duckdb"
    shutil.copyfile(raw, warehouse)
    where = f"= cast('{day}' as date)"
    with duckdb.connect(str(warehouse)) as connection:
        for table, date_sql in RAW_FACT_DATES.items():
            connection.execute(f"delete from {table} where {date_sql} {where}")
    dbt_build(project, warehouse, work, None)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(f"attach '{raw}' as raw_copy (read_only)")
        for table, date_sql in RAW_FACT_DATES.items():
            connection.execute(
                f"insert into {table} select * from raw_copy.{table} where {date_sql} {where}"
            )
    window = {"partition_start_date": day, "partition_end_date": day}
    return dbt_build(project, warehouse, work, window)


def summary(runs: list[dict], top: int) -> list[str]:
    def model_total(run: dict) -> float:
        return sum(t for node, t in run["nodes"].items() if node.startswith("model."))

    lines = [
        f"  dbt build wall: median {statistics.median(r['wall'] for r in runs):.1f} s",
        f"  all models:     median {statistics.median(model_total(r) for r in runs):.1f} s",
    ]
    nodes = {node for run in runs for node in run["nodes"] if node.startswith("model.")}
    medians = {n: statistics.median(r["nodes"].get(n, 0.0) for r in runs) for n in nodes}
    for node, seconds in sorted(medians.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {seconds:6.2f} s  {node.removeprefix('model.nyckeltal.')}")
    return lines


def time_models(args: argparse.Namespace) -> int:
    compiled = args.project_dir / "target" / "compiled" / "nyckeltal" / "models"
    # Unit tests compile to <yml file>/<model>.sql: keep the models themselves.
    paths = {p.stem: p for p in compiled.rglob("*.sql") if ".yml" not in str(p.parent)}
    with duckdb.connect(str(args.warehouse), read_only=True) as connection:
        connection.execute("set threads = 2")
        for model in args.models:
            sql = paths[model].read_text()
            seconds = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                connection.execute(f"create or replace temp table profiled as {sql}")
                seconds.append(time.perf_counter() - started)
            (rows,) = connection.execute("select count(*) from profiled").fetchone()
            print(
                f"{model:40s} median {statistics.median(seconds):6.2f} s  "
                f"min {min(seconds):6.2f} s  ({rows:,} rows, {args.repeats} runs)"
            )
    return 0


def time_dbt(args: argparse.Namespace) -> int:
    modes = args.modes.split(",")
    runs: dict[str, list[dict]] = {mode: [] for mode in modes}
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            if "full" in modes:
                warehouse = work / "full.duckdb"
                shutil.copyfile(args.raw, warehouse)
                runs["full"].append(dbt_build(args.project_dir, warehouse, work, None))
            if "one_day" in modes:
                runs["one_day"].append(one_day_refresh(args.project_dir, args.raw, work))
        print(f"repeat {repeat + 1}/{args.repeats} done", file=sys.stderr)
    for mode in modes:
        print(f"{mode} ({args.repeats} runs, {os.cpu_count()} cpus):")
        print("\n".join(summary(runs[mode], args.top)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--repeats", type=int, default=3)
    commands = parser.add_subparsers(dest="command", required=True)
    sql = commands.add_parser("sql", help="time the compiled SQL of models")
    sql.add_argument("warehouse", type=Path, help="a warehouse dbt has built")
    sql.add_argument("models", nargs="+", help="model names")
    dbt = commands.add_parser("dbt", help="time dbt builds: full and one new day")
    dbt.add_argument("raw", type=Path, help="a warehouse with the raw tables loaded")
    dbt.add_argument("--top", type=int, default=8)
    dbt.add_argument("--modes", default="full,one_day")
    args = parser.parse_args(argv)
    return time_models(args) if args.command == "sql" else time_dbt(args)


if __name__ == "__main__":
    raise SystemExit(main())
