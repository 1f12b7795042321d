"""The repository documents itself: no reference leaves it, and docs/ matches the code.

- No tracked file points at files outside the repository (a sibling `shared` folder, or an
  absolute path of a development machine): a fresh clone must be complete.
- docs/kpis.md's per-KPI summary and targets are the ones generated from the catalogue and
  the targets seed, and it documents every column of the scorecard contract with its type.
- docs/data-contract.md describes every table of `nyckeltal.contract.TABLES` with exactly its
  columns, types and nullability.
- Every relative Markdown link of the documentation, and every `docs/<page>.md#anchor`
  mentioned anywhere, resolves to an existing file and heading.
"""

from __future__ import annotations

import csv
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from nyckeltal import catalogue
from nyckeltal.contract import TABLES, Table
from nyckeltal.kpi_docs import anchor as slug

PROJECT = Path(__file__).resolve().parents[1]
DOCS = PROJECT / "docs"
KPIS = DOCS / "kpis.md"
DATA_CONTRACT = DOCS / "data-contract.md"
SCORECARD_YAML = PROJECT / "models" / "marts" / "scorecard" / "_scorecard__models.yml"

# Spelled in pieces so that this file does not match itself.
SHARED = "shared" + "/"
FORBIDDEN = (
    "../" + SHARED,
    SHARED + "kpis.md",
    SHARED + "data-contract.md",
    SHARED + "reference-data",
    "/" + "work/",
)
SCANNED_SUFFIXES = frozenset((".md", ".yml", ".yaml", ".py", ".sql", ".toml", ".cfg", ".csv"))
SCANNED_NAMES = frozenset(("Makefile",))

MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
DOCS_ANCHOR = re.compile(r"docs/(kpis|data-contract)\.md#([\w-]+)")


def _tracked_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    return [
        name
        for name in result.stdout.splitlines()
        if (Path(name).suffix in SCANNED_SUFFIXES or Path(name).name in SCANNED_NAMES)
        and (PROJECT / name).is_file()
    ]


def test_no_reference_leaves_the_repository() -> None:
    offending = []
    for name in _tracked_files():
        text = (PROJECT / name).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if any(pattern in line for pattern in FORBIDDEN):
                offending.append(f"{name}:{number}: {line.strip()[:120]}")
    assert not offending, "references outside the repository:\n" + "\n".join(offending)


# --- Markdown structure -------------------------------------------------------------------


def _lines_outside_code(path: Path) -> list[str]:
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


@cache
def headings(path: Path) -> tuple[str, ...]:
    return tuple(
        line.lstrip("#").strip() for line in _lines_outside_code(path) if line.startswith("#")
    )


@cache
def anchors(path: Path) -> frozenset[str]:
    found: set[str] = set()
    for heading in headings(path):
        anchor, n = slug(heading), 1
        while anchor in found:
            anchor = f"{slug(heading)}-{n}"
            n += 1
        found.add(anchor)
    return frozenset(found)


def _sections(path: Path, level: str) -> dict[str, list[str]]:
    """The lines under each heading of `level` (e.g. `### `), up to the next heading."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _lines_outside_code(path):
        if line.startswith(level):
            current = sections.setdefault(line[len(level) :].strip(), [])
        elif line.startswith("#"):
            current = None
        elif current is not None:
            current.append(line)
    return sections


def _table_rows(lines: list[str]) -> list[list[str]]:
    """The body rows of the first Markdown table in `lines`, cells stripped of backticks."""
    rows = [line for line in lines if line.startswith("|")]
    return [
        [cell.strip().strip("`") for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[2:]
    ]


def _documentation() -> list[Path]:
    return [PROJECT / "README.md", PROJECT / "DECISIONS.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", _documentation(), ids=lambda p: p.relative_to(PROJECT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for line in _lines_outside_code(page):
        for target in MARKDOWN_LINK.findall(line):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / path_part).resolve() if path_part else page
            if not resolved.exists():
                broken.append(f"{target}: no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_docs_anchors_named_anywhere_exist() -> None:
    broken = []
    for name in _tracked_files():
        text = (PROJECT / name).read_text(encoding="utf-8", errors="replace")
        for page, anchor in DOCS_ANCHOR.findall(text):
            if anchor not in anchors(DOCS / f"{page}.md"):
                broken.append(f"{name}: docs/{page}.md#{anchor}")
    assert not broken, "anchors that docs/ does not have:\n" + "\n".join(sorted(set(broken)))


# --- docs/kpis.md -------------------------------------------------------------------------


def _scorecard_model() -> dict:
    models = yaml.safe_load(SCORECARD_YAML.read_text())["models"]
    (model,) = [model for model in models if model["name"] == "kpi_scorecard"]
    return model


def _scorecard_kpi_codes() -> list[str]:
    """The scorecard's kpi_codes: those of the KPI catalogue (its relationships test)."""
    return list(catalogue.kpi_codes())


def _target_kpi_codes() -> set[str]:
    with (PROJECT / "seeds" / "kpi_targets.csv").open(newline="", encoding="utf-8") as handle:
        return {row["kpi_code"] for row in csv.DictReader(handle)}


def test_kpis_md_summary_is_the_one_generated_from_the_catalogue() -> None:
    """The per-KPI summary and the targets of docs/kpis.md are generated (`make catalogue`):
    the committed text is the generated one, and it has a row for every code of the
    catalogue and of the targets seed, whatever their number."""
    committed = KPIS.read_text(encoding="utf-8")
    assert committed == catalogue.kpis_md_with_summary(committed), (
        "docs/kpis.md is stale: run `python -m nyckeltal.catalogue --write`"
    )
    codes = set(_scorecard_kpi_codes())
    assert _target_kpi_codes() <= codes
    glance = [row[0] for row in _table_rows(_sections(KPIS, "## ")["The KPIs at a glance"])]
    assert glance == list(catalogue.kpi_codes())
    assert len(glance) == len(codes)


def test_kpis_md_documents_the_targets_of_the_seed() -> None:
    table = _table_rows(_sections(KPIS, "## ")["Targets and status"])
    documented = {(row[0], row[1], float(row[2].replace("−", "-"))) for row in table}
    with (PROJECT / "seeds" / "kpi_targets.csv").open(newline="", encoding="utf-8") as handle:
        seeded = {
            (
                row["kpi_code"],
                f"{row['segment_type']}/{row['segment_value']}" if row["segment_type"] else "every",
                float(row["target_value"]),
            )
            for row in csv.DictReader(handle)
        }
    assert documented == seeded


def test_kpis_md_documents_every_scorecard_column_with_its_type() -> None:
    table = _table_rows(_sections(KPIS, "## ")["The kpi_scorecard contract"])
    documented = [(row[0], row[1]) for row in table]
    expected = [(c["name"], c["data_type"]) for c in _scorecard_model()["columns"]]
    assert documented == expected


# --- docs/data-contract.md ----------------------------------------------------------------


@pytest.mark.parametrize("contract_table", TABLES, ids=lambda t: t.key)
def test_data_contract_md_describes_the_table_as_the_code_does(contract_table: Table) -> None:
    sections = _sections(DATA_CONTRACT, "### ")
    assert contract_table.key in sections, f"no heading '### {contract_table.key}'"
    rows = _table_rows(sections[contract_table.key])
    documented = [(row[0], row[1], row[2]) for row in rows]
    expected = [
        (column.name, column.type, "no" if column.nullable else "yes")
        for column in contract_table.columns
    ]
    assert documented == expected
    key = ", ".join(f"`{name}`" for name in contract_table.primary_key)
    text = "\n".join(sections[contract_table.key])
    assert "Primary key" in text and key in text.replace("\n", " ")


def test_data_contract_md_has_no_table_the_code_lacks() -> None:
    described = {
        heading
        for heading in _sections(DATA_CONTRACT, "### ")
        if re.fullmatch(r"[a-z]+\.[a-z_]+", heading)
    }
    assert described == {t.key for t in TABLES}


def test_data_contract_md_lists_every_enumeration() -> None:
    text = DATA_CONTRACT.read_text(encoding="utf-8")
    for contract_table in TABLES:
        for column in contract_table.columns:
            for value in column.accepted_values or ():
                assert f"`{value}`" in text, f"{contract_table.key}.{column.name}: {value}"
