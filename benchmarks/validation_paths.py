"""Validation time on both execution paths of the Great Expectations suites, side by side.

Usage (from the repository root):

    .venv/bin/python benchmarks/validation_paths.py [--warehouse BUILT] [--repeats 3]

BUILT is a warehouse that `nyckeltal run` (or `dbt build`) has built; without it the demo is
loaded and refreshed into a temporary folder first (`nyckeltal demo`, `nyckeltal run`, about a
minute). Each repeat runs the `sources` and then the `marts` checkpoint with
NYCKELTAL_GX_EXECUTION=gx and =compiled (alternating, each path with its own GX folder, on a
copy of BUILT) as `nyckeltal validate` runs them: the GX context, every suite, the results store
and Data Docs, in this process (imports excluded). It prints the median and min wall seconds
and the median CPU seconds (this process's, DuckDB's threads included: steadier than wall
time on a shared machine) per checkpoint and path, and the machine's cores and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nyckeltal.context import RunContext
from nyckeltal.quality.runner import run_checkpoint
from nyckeltal.settings import Settings

PATHS = ("gx", "compiled")
CHECKPOINTS = ("sources", "marts")


def built_demo(folder: Path) -> Path:
    """The demo, loaded and refreshed in `folder` (its own GX folder and files)."""
    warehouse = folder / "nyckeltal.duckdb"
    nyckeltal = Path(sys.executable).with_name("nyckeltal")
    environment = {**os.environ, "NYCKELTAL_GX_DIR": str(folder / "gx_build")}
    for command in (["demo"], ["run"]):
        subprocess.run(
            [str(nyckeltal), *command, "--warehouse", str(warehouse)],
            check=True,
            env=environment,
            stdout=subprocess.DEVNULL,
        )
    return warehouse


Samples = dict[tuple[str, str], list[tuple[float, float]]]  # (checkpoint, path) -> (wall, CPU)


def measure(warehouse: Path, folder: Path, repeats: int) -> Samples:
    samples: Samples = {}
    moment = dt.datetime.now(dt.UTC)
    for _ in range(repeats):
        for path in PATHS:
            copy = folder / f"{path}.duckdb"
            shutil.copyfile(warehouse, copy)
            settings = Settings(gx_execution=path, gx_dir=folder / f"gx_{path}")
            context = RunContext.build(settings, warehouse=copy)
            for checkpoint in CHECKPOINTS:
                started, cpu = time.perf_counter(), time.process_time()
                outcome = run_checkpoint(checkpoint, context, run_started_at=moment, log=str)
                seconds = (time.perf_counter() - started, time.process_time() - cpu)
                assert outcome.passed, outcome.summary()
                samples.setdefault((checkpoint, path), []).append(seconds)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a built warehouse (default: the demo)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nyckeltal-validation-") as temporary:
        folder = Path(temporary)
        warehouse = args.warehouse.resolve() if args.warehouse else built_demo(folder)
        samples = measure(warehouse, folder, args.repeats)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}, {args.repeats} repeats")
    print(f"{'checkpoint':<12}{'path':<10}{'median s':>10}{'min s':>8}{'median CPU s':>14}")
    for (checkpoint, path), values in samples.items():
        wall = [value[0] for value in values]
        cpu = statistics.median(value[1] for value in values)
        print(
            f"{checkpoint:<12}{path:<10}{statistics.median(wall):>10.2f}{min(wall):>8.2f}"
            f"{cpu:>14.2f}"
        )
    for checkpoint in CHECKPOINTS:
        before = statistics.median(value[0] for value in samples[(checkpoint, "gx")])
        after = statistics.median(value[0] for value in samples[(checkpoint, "compiled")])
        print(f"{checkpoint}: {before / after:.1f}x faster compiled (median wall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
