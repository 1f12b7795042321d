"""The README as a newcomer reads it: what Nyckeltal is and for whom before any command, then
the two commands, a table of contents, the prerequisites, and the user guide without the
internals (which live in docs/internals.md)."""

from __future__ import annotations

import re
from pathlib import Path

from test_docs import headings, slug

PROJECT = Path(__file__).resolve().parents[1]
README = PROJECT / "README.md"


def _text() -> str:
    return README.read_text(encoding="utf-8")


def _section(title: str) -> str:
    return _text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_says_what_it_is_in_one_sentence_then_the_two_commands() -> None:
    title, blank, rest = _text().split("\n", 2)
    assert (title, blank) == ("# Nyckeltal", "")
    sentence, block = rest.split("\n\n", 1)
    sentence = " ".join(sentence.splitlines())
    assert sentence.endswith(".") and not re.search(r"[.!?] [A-Z]", sentence), sentence
    assert "for the" in sentence  # for whom
    commands = block.split("```", 2)[1].splitlines()
    assert commands[0] == "sh"
    assert [line.split("#")[0].strip() for line in commands[1:]] == ["make run", "make test"]


def test_the_table_of_contents_links_every_section() -> None:
    contents = _section("Contents")
    linked = set(re.findall(r"\]\(#([\w-]+)\)", contents))
    sections = [line[3:] for line in _text().splitlines() if line.startswith("## ")]
    assert sections[0] == "Contents"
    missing = [title for title in sections[1:] if slug(title) not in linked]
    assert not missing, f"not in the table of contents: {missing}"


def test_the_prerequisites_name_the_platform_tools_and_what_make_test_installs() -> None:
    prerequisites = _section("Prerequisites")
    for needed in ("Linux", "macOS", "Python 3.11", "GNU make", "RAM", "GB", "apt-get"):
        assert needed in prerequisites, needed
    for package in ("chromium", "postgresql", "openjdk-17-jre-headless"):
        assert package in prerequisites, package
    script = (PROJECT / "scripts" / "install-test-dependencies.sh").read_text(encoding="utf-8")
    assert all(package in script for package in ("chromium", "postgresql", "openjdk-17"))


def test_the_user_guide_keeps_internals_in_docs_internals() -> None:
    internals = (PROJECT / "docs" / "internals.md").read_text(encoding="utf-8")
    for detail in ("MVCC", "Derby metastore", "duckdb_sql_shim", "NYCKELTAL_WINDOW_START"):
        assert detail not in _text(), detail
        assert detail in internals, detail
    assert "](docs/internals.md" in _text()


def test_deployment_and_reliability_have_their_sections_and_pages() -> None:
    assert "](docs/deployment.md)" in _section("Deployment")
    assert "](docs/reliability.md)" in _section("Reliability")
    for title in ("The command line", "Your own data", "Deployment", "Reliability", "License"):
        assert title in headings(README), title
