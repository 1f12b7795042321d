"""`python -m nyckeltal.benchmark`: how long loading and the daily build take, and how much memory.

For each scale the synthetic dataset is generated once, then every repeat works on a fresh
temporary warehouse: `load`, the four steps of the daily build one by one (the functions of
`nyckeltal.pipeline`), and the whole `nyckeltal run` (the Dagster job) on a copy of the freshly
loaded warehouse. Every stage runs in its own child process, so its wall time includes the
Python start and imports, as on the command line, and its peak RSS (`os.wait4`) is its own:
the largest process of the stage (dbt's subprocess included), not the sum of them.

Figures are medians over the repeats, with the min and the max; the scaling table divides
the median of every scale by that of the smallest. Results go to a Markdown file and a JSON
file next to it, with the machine they were measured on. Nothing outside the temporary
folder is written: the warehouse, the published file, alerts, the dbt target and logs and the
Great Expectations project all live there (dbt's manifest is parsed there once, untimed).
Linux only (peak RSS from `ru_maxrss` in KiB; /proc for the machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from nyckeltal import settings

STAGES = ("load", "validate_sources", "build_models", "validate_marts", "publish_marts", "run")
STEPS = STAGES[1:5]  # the four pipeline steps, measured one by one
DEFAULT_OUT = Path("benchmarks") / "results.md"
LOG_TAIL = 40


# --------------------------------------------------------------------------- child side


def stage_main(argv: Sequence[str]) -> int:
    """One stage, in the child process: `STAGE DATA WAREHOUSE SCALE RESULT_JSON`."""
    stage, data, warehouse, scale, result_file = argv
    data_dir, path = Path(data), Path(warehouse)
    rows = None
    if stage == "generate":
        from nyckeltal.demo import generate

        generate(data_dir, scale=float(scale))
    elif stage == "prepare":  # untimed: dbt's manifest and the GX project in the temp folder
        from nyckeltal.dbt_runner import run_dbt
        from nyckeltal.quality.project import write_project

        run_dbt(["parse", "--quiet"], path, quiet=True)
        write_project()
    elif stage == "load":
        from nyckeltal.loader import load_directory

        rows = load_directory(data_dir, path).rows
    elif stage in ("validate_sources", "validate_marts"):
        from nyckeltal import pipeline

        outcome = getattr(pipeline, stage)(path)
        print(outcome.summary())
        if not outcome.passed:
            return 1
        rows = sum(suite.rows for suite in outcome.suites)
    elif stage in ("build_models", "publish_marts"):
        from nyckeltal import pipeline

        getattr(pipeline, stage)(path)
    elif stage == "run":
        from nyckeltal.cli import main

        if main(["run", "--warehouse", str(path)]) != 0:
            return 1
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    Path(result_file).write_text(json.dumps({"rows": rows}), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------- parent side


class StageFailed(RuntimeError):
    """A stage's child process failed; the message ends with the tail of its log."""


def stage_environment(root: Path, warehouse: Path) -> dict[str, str]:
    """The environment of a stage: every path in the temporary folder, no user settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("NYCKELTAL_") and name not in ("DAGSTER_HOME", "DBT_PROFILES_DIR")
    }
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
    stage: str, root: Path, data: Path, warehouse: Path, scale: float
) -> dict[str, float | int | None]:
    """Run one stage in a child process: wall seconds, peak RSS (MiB) and rows handled."""
    result_file = root / f"{stage}.result.json"
    result_file.unlink(missing_ok=True)
    log = root / "logs" / f"{stage}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-c",
        "import sys; from nyckeltal.benchmark import stage_main; "
        "sys.exit(stage_main(sys.argv[1:]))",
        *(stage, str(data), str(warehouse), str(scale), str(result_file)),
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
            f"stage {stage} (scale {scale:g}) failed with exit {child.returncode}; "
            "the end of its output:\n" + "\n".join(tail)
        )
    rows = json.loads(result_file.read_text(encoding="utf-8"))["rows"]
    return {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024, "rows": rows}


def _note(line: str) -> None:
    print(line, flush=True)


def _show(label: str, sample: dict) -> str:
    rows = f", {sample['rows']:,} rows" if sample.get("rows") is not None else ""
    return f"{label:<36} {sample['seconds']:8.1f} s  {sample['peak_rss_mib']:7.0f} MiB{rows}"


def bench_scale(
    scale: float, repeats: int, root: Path, stages: Sequence[str]
) -> dict[str, list[dict]]:
    """Every sample of one scale: {stage: [one measurement per repeat]}."""
    samples: dict[str, list[dict]] = {stage: [] for stage in ("generate", *stages)}
    data = root / f"data-{scale:g}"
    samples["generate"].append(measure("generate", root, data, root / "none.duckdb", scale))
    _note(_show(f"[scale {scale:g}] generate", samples["generate"][0]))
    for repeat in range(1, repeats + 1):
        work = root / f"scale-{scale:g}-repeat-{repeat}"
        steps, dagster = work / "steps" / "warehouse.duckdb", work / "run" / "warehouse.duckdb"
        steps.parent.mkdir(parents=True)
        for stage in stages:
            if stage == "run":
                dagster.parent.mkdir(parents=True)
                shutil.copyfile(work / "loaded.duckdb", dagster)
            sample = measure(stage, root, data, dagster if stage == "run" else steps, scale)
            if stage == "load":  # the run stage starts from the same freshly loaded state
                shutil.copyfile(steps, work / "loaded.duckdb")
            samples[stage].append(sample)
            _note(_show(f"[scale {scale:g}] {repeat}/{repeats} {stage}", sample))
        shutil.rmtree(work)  # keep the disk use to one repeat
    shutil.rmtree(data)
    return samples


# --------------------------------------------------------------------------- the report


def summarize(samples: list[dict]) -> dict:
    """Median, min and max seconds, the highest peak RSS, rows and rows per second."""
    seconds = [sample["seconds"] for sample in samples]
    median, rows = statistics.median(seconds), samples[0]["rows"]
    return {
        "n": len(seconds),
        "median_s": median,
        "min_s": min(seconds),
        "max_s": max(seconds),
        "peak_rss_mib": max(sample["peak_rss_mib"] for sample in samples),
        "rows": rows,
        "rows_per_s": rows / median if rows else None,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=settings.project_dir(), capture_output=True)
    return done.stdout.decode().strip() if done.returncode == 0 else "unknown"


def machine() -> dict[str, object]:
    """The machine and the software the figures are measured with, and the code: the commit
    and whether tracked files differ from it (the working tree is what gets measured)."""
    meminfo = Path("/proc/meminfo").read_text().split()
    cpus = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line]
    packages = ("duckdb", "dbt-core", "dbt-duckdb", "great-expectations", "dagster")
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
    raw: dict[float, dict[str, list[dict]]], repeats: int, seconds: float, setup: dict
) -> dict:
    """Summaries per scale and stage, and each scale's ratios to the smallest scale; `setup`
    is `machine()` taken before measuring."""
    scales = sorted(raw)
    results = {scale: {stage: summarize(s) for stage, s in raw[scale].items()} for scale in scales}
    base = results[scales[0]]
    ratios = {
        scale: {
            stage: {
                "time": _ratio(summary["median_s"], base[stage]["median_s"]),
                "rss": _ratio(summary["peak_rss_mib"], base[stage]["peak_rss_mib"]),
            }
            for stage, summary in results[scale].items()
        }
        for scale in scales[1:]
    }
    loaded = {scale: results[scale].get("load", {}).get("rows") for scale in scales}
    return {
        "machine": setup,
        "repeats": repeats,
        "benchmark_seconds": round(seconds, 1),
        "scales": [
            {
                "scale": scale,
                "loaded_rows": loaded[scale],
                "rows_ratio": _ratio(loaded[scale], loaded[scales[0]]),
                "stages": results[scale],
                "ratio_to_smallest": ratios.get(scale),
                "samples": raw[scale],
            }
            for scale in scales
        ],
    }


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def render_markdown(report: dict, command: str) -> str:
    m, scales = report["machine"], report["scales"]
    dirty = " + uncommitted changes" if m["git_dirty"] else ""
    if m.get("git_commit_at_end", m["git_commit"]) != m["git_commit"]:
        dirty += f" (HEAD was {m['git_commit_at_end']} at the end)"
    lines = [
        "# Nyckeltal benchmark",
        "",
        f"Produced by `{command}` (how to read it: [README.md](README.md)).",
        "",
        f"- machine: {m['nproc']} cores, {m['cpu']}, {m['memory_gib']} GiB RAM, {m['os']}; "
        f"load average at start {' '.join(map(str, m['load_average_at_start']))}",
        f"- Python {m['python']}, duckdb {m['duckdb']}, dbt-core {m['dbt-core']}, dbt-duckdb "
        f"{m['dbt-duckdb']}, great-expectations {m['great-expectations']}, "
        f"dagster {m['dagster']}",
        f"- {m['date']}, git commit {m['git_commit']}{dirty}; {report['repeats']} repeat(s) "
        f"per stage, generate once per scale; the benchmark took "
        f"{report['benchmark_seconds'] / 60:.1f} min",
        "",
        "| scale | stage | median s | min s | max s | peak RSS MiB | rows | rows/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in scales:
        for stage, s in entry["stages"].items():
            rows = f"{s['rows']:,}" if s["rows"] else "–"
            lines.append(
                f"| {entry['scale']:g} | {stage} | {_number(s['median_s'])} | "
                f"{_number(s['min_s'])} | {_number(s['max_s'])} | "
                f"{_number(s['peak_rss_mib'], 0)} | {rows} | {_number(s['rows_per_s'], 0)} |"
            )
    for entry in scales:
        stages = entry["stages"]
        if all(stage in stages for stage in STAGES[1:]):
            steps = sum(stages[stage]["median_s"] for stage in STEPS)
            lines += [
                "",
                f"Scale {entry['scale']:g}: the four steps one by one take {steps:.1f} s "
                f"(sum of medians), the whole `nyckeltal run` {stages['run']['median_s']:.1f} s.",
            ]
    if len(scales) > 1:
        base = scales[0]["scale"]
        lines += ["", f"## Scaling: each scale against scale {base:g}", ""]
        lines += [
            f"Scale {e['scale']:g} loads {_number(e['rows_ratio'], 2)} x the rows of scale "
            f"{base:g}; linear scaling gives a time ratio near that."
            for e in scales[1:]
        ]
        header = [f"time x (scale {e['scale']:g})" for e in scales[1:]]
        header += [f"peak RSS x (scale {e['scale']:g})" for e in scales[1:]]
        lines += ["", "| stage | " + " | ".join(header) + " |", "|---|" + "---:|" * len(header)]
        for stage in scales[0]["stages"]:
            times = [_number(e["ratio_to_smallest"][stage]["time"], 2) for e in scales[1:]]
            rss = [_number(e["ratio_to_smallest"][stage]["rss"], 2) for e in scales[1:]]
            lines.append(f"| {stage} | " + " | ".join(times + rss) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- command line


def _scales(text: str) -> list[float]:
    try:
        scales = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not scales or min(scales) <= 0:
        raise argparse.ArgumentTypeError(f"scales must be positive numbers: {text!r}")
    return scales


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nyckeltal.benchmark",
        description="Time loading and the daily build (median of repeats, peak RSS per stage) "
        "at several dataset scales; write a Markdown report and a JSON file next to it.",
    )
    parser.add_argument("--scales", type=_scales, default=[1.0, 10.0], help="default 1,10")
    parser.add_argument("--repeats", type=int, default=3, help="per stage (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument(
        "--stages",
        type=_stages,
        default=list(STAGES),
        help="comma-separated subset of " + ",".join(STAGES) + " (default all; the steps "
        "after load need the ones before them)",
    )
    return parser


def run_benchmark(
    scales: Sequence[float], repeats: int, out: Path, stages: Sequence[str] = STAGES
) -> dict:
    """Measure, then write `out` (Markdown) and `out` with .json; return the report."""
    started, setup = time.perf_counter(), machine()
    raw: dict[float, dict[str, list[dict]]] = {}
    with tempfile.TemporaryDirectory(prefix="nyckeltal-benchmark-") as folder:
        root = Path(folder)
        _note(
            f"Benchmark in {root}: scales {', '.join(f'{s:g}' for s in scales)}, "
            f"{repeats} repeat(s), stages {', '.join(stages)}"
        )
        if any(stage in stages for stage in STAGES[1:]):
            prepared = measure("prepare", root, root, root / "none.duckdb", 0)
            _note(_show("prepare (dbt parse; not reported)", prepared))
        for scale in scales:
            raw[scale] = bench_scale(scale, repeats, root, stages)
    setup["git_commit_at_end"] = git("rev-parse", "--short", "HEAD")
    report = build_report(raw, repeats, time.perf_counter() - started, setup)
    command = "python -m nyckeltal.benchmark --scales {} --repeats {} --out {}".format(
        ",".join(f"{s:g}" for s in scales), repeats, out
    )
    if list(stages) != list(STAGES):
        command += f" --stages {','.join(stages)}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_markdown(report, command), encoding="utf-8")
    out.with_suffix(".json").write_text(
        json.dumps({"command": command, **report}, indent=2) + "\n", encoding="utf-8"
    )
    _note(f"Wrote {out} and {out.with_suffix('.json')} in {report['benchmark_seconds']:.0f} s")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.repeats < 1:
        build_parser().error("--repeats must be at least 1")
    try:
        run_benchmark(args.scales, args.repeats, args.out, args.stages)
    except StageFailed as error:
        print(f"benchmark: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
