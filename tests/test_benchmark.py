"""The benchmark machinery (`python -m nyckeltal.benchmark`): reports are written, every stage
is in them. No timing is asserted: figures come from the benchmark command, never a test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nyckeltal import benchmark

PROJECT = Path(__file__).resolve().parent.parent


def _sample(seconds: float, rss: float, rows: int | None) -> dict:
    return {"seconds": seconds, "peak_rss_mib": rss, "rows": rows}


def test_report_has_medians_and_ratios_to_the_smallest_scale() -> None:
    raw = {
        scale: {
            stage: [
                _sample(k * s, 100.0 * k, 1000 * int(k) if stage == "load" else None)
                for s in (3.0, 1.0, 2.0)
            ]
            for stage in ("generate", *benchmark.STAGES)
        }
        for scale, k in ((1.0, 1), (10.0, 10))
    }
    report = benchmark.build_report(raw, repeats=3, seconds=1.0, setup=benchmark.machine())
    small, large = report["scales"]
    assert small["stages"]["load"]["median_s"] == 2.0
    assert (small["stages"]["load"]["min_s"], small["stages"]["load"]["max_s"]) == (1.0, 3.0)
    assert small["stages"]["load"]["rows_per_s"] == 500.0
    assert large["rows_ratio"] == 10.0
    assert large["ratio_to_smallest"]["build_models"] == {"time": 10.0, "rss": 10.0}
    text = benchmark.render_markdown(report, "python -m nyckeltal.benchmark")
    for stage in ("generate", *benchmark.STAGES):
        assert f"| 1 | {stage} |" in text and f"| 10 | {stage} |" in text
    assert "Scaling" in text and "cores" in text and "GiB" in text


def test_command_line_rejects_bad_arguments() -> None:
    for bad in (
        ["--scales", "0,1"],
        ["--scales", "x"],
        ["--stages", "load,nope"],
        ["--stages", "run"],
    ):
        with pytest.raises(SystemExit):
            benchmark.build_parser().parse_args(bad)
    args = benchmark.build_parser().parse_args(["--scales", "10,1", "--stages", "run,load"])
    assert args.scales == [1.0, 10.0] and args.stages == ["load", "run"]


def _check_files(out: Path, stages: tuple[str, ...]) -> dict:
    text = out.read_text(encoding="utf-8")
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    for stage in ("generate", *stages):
        assert f"| 0.05 | {stage} |" in text
        samples = data["scales"][0]["samples"][stage]
        assert samples and all(s["seconds"] > 0 and s["peak_rss_mib"] > 0 for s in samples)
    assert data["machine"]["nproc"] >= 1 and data["machine"]["memory_gib"] > 0
    return data


def test_load_stage_at_a_tiny_scale(tmp_path: Path) -> None:
    """The child-process measurement on the one stage that needs neither dbt nor GX."""
    out = tmp_path / "bench" / "results.md"
    assert (
        benchmark.main(
            ["--scales", "0.05", "--repeats", "1", "--out", str(out), "--stages", "load"]
        )
        == 0
    )
    data = _check_files(out, ("load",))
    assert data["scales"][0]["stages"]["load"]["rows"] > 1000


def test_stages_write_only_in_the_temporary_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NYCKELTAL_DQ_WARN", "raw_crm_leads")
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT))
    env = benchmark.stage_environment(tmp_path, tmp_path / "steps" / "warehouse.duckdb")
    for name in (
        "NYCKELTAL_WAREHOUSE",
        "NYCKELTAL_PUBLISHED",
        "NYCKELTAL_ALERTS_FILE",
        "NYCKELTAL_GX_DIR",
        "DBT_TARGET_PATH",
        "DBT_LOG_PATH",
    ):
        assert Path(env[name]).is_relative_to(tmp_path), name
    assert "NYCKELTAL_DQ_WARN" not in env and "DAGSTER_HOME" not in env


@pytest.mark.dbt
def test_every_stage_at_a_tiny_scale(tmp_path: Path) -> None:
    """The whole benchmark, once, at scale 0.05 (about four minutes: dbt and Dagster run)."""
    out = tmp_path / "results.md"
    assert benchmark.main(["--scales", "0.05", "--repeats", "1", "--out", str(out)]) == 0
    _check_files(out, benchmark.STAGES)
