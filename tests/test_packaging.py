"""The package as a new user installs it: a licence that matches pyproject, one version, a
changelog, a core install that runs `make run` without test tools or other engines, and lock
files that say how they are made; the Dockerfile and docs/deployment.md name real things.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

from nyckeltal.cli import COMMANDS

PROJECT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
CORE_LOCK = PROJECT / "requirements.lock"
DEV_LOCK = PROJECT / "requirements-dev.lock"
# What `make run` must not need: test tools and the other engines (pyspark alone is 345 MB).
NOT_CORE = (
    "pytest",
    "playwright",
    "ruff",
    "sqlfluff",
    "sqlfluff-templater-dbt",
    "pyspark",
    "dbt-spark",
    "dbt-postgres",
    "psycopg",
    "dbt-metricflow",
)


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement (`dbt-spark[session]>=1` -> dbt-spark)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]).lower()


def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "-")):
            name, version = line.split("==")
            pins[_name(name)] = version
    return pins


# --------------------------------------------------------------------------- licence, version


def test_the_license_file_is_the_apache_license_pyproject_declares() -> None:
    text = (PROJECT / "LICENSE").read_text(encoding="utf-8")
    assert PYPROJECT["license"] == "Apache-2.0"
    assert PYPROJECT["license-files"] == ["LICENSE"]
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) > 190  # the full text, not a pointer to it


def test_the_version_is_written_once_in_pyproject() -> None:
    assert metadata.version("nyckeltal") == PYPROJECT["version"]
    init = (PROJECT / "nyckeltal" / "__init__.py").read_text(encoding="utf-8")
    assert "__version__" not in init
    dbt_project = yaml.safe_load((PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    assert "version" not in dbt_project


def test_the_changelog_keeps_a_changelog_with_unreleased_and_the_current_version() -> None:
    text = (PROJECT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "[Keep a Changelog](https://keepachangelog.com/" in text
    versions = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert versions[0] == "Unreleased"
    assert PYPROJECT["version"] in versions
    unreleased = text.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0]
    assert "--version" in unreleased


# --------------------------------------------------------------------------- dependencies


def test_the_core_dependencies_leave_out_test_tools_and_other_engines() -> None:
    core = {_name(requirement) for requirement in PYPROJECT["dependencies"]}
    assert not core & set(NOT_CORE)
    extras = {
        name: {_name(requirement) for requirement in requirements}
        for name, requirements in PYPROJECT["optional-dependencies"].items()
    }
    assert {"pytest", "playwright", "ruff", "sqlfluff"} <= extras["test"]
    assert {"pyspark", "dbt-spark"} <= extras["spark"]
    assert {"dbt-postgres", "psycopg"} <= extras["postgres"]
    assert set(NOT_CORE) <= set().union(*extras.values())


def test_the_lock_files_say_how_they_are_made_and_split_core_and_extras() -> None:
    core, dev = _pins(CORE_LOCK), _pins(DEV_LOCK)
    for lock in (CORE_LOCK, DEV_LOCK):
        header = lock.read_text(encoding="utf-8").splitlines()[:3]
        assert all(line.startswith("#") for line in header), lock.name
        assert "scripts/lock.sh" in " ".join(header), lock.name
    dev_lines = [line for line in DEV_LOCK.read_text(encoding="utf-8").splitlines()]
    assert [line for line in dev_lines if line.startswith("-")] == ["-r requirements.lock"]
    assert not set(core) & set(dev)  # each package pinned once
    assert not set(core) & set(NOT_CORE)
    assert set(NOT_CORE) <= set(dev)
    for requirement in PYPROJECT["dependencies"]:
        assert _name(requirement) in core, requirement
    for requirements in PYPROJECT["optional-dependencies"].values():
        for requirement in requirements:
            assert _name(requirement) in core | dev, requirement
    assert (PROJECT / "scripts" / "lock.sh").exists()


def test_make_installs_the_core_for_run_and_the_extras_for_test() -> None:
    def dry_run(target: str) -> list[str]:
        result = subprocess.run(
            ["make", "-n", "-B", target], cwd=PROJECT, capture_output=True, text=True, check=True
        )
        return result.stdout.splitlines()

    run = dry_run("run")
    assert any("-r requirements.lock" in line for line in run)
    assert not any("requirements-dev.lock" in line for line in run)
    test = dry_run("test")
    dev_install = next(i for i, line in enumerate(test) if "-r requirements-dev.lock" in line)
    pytest_run = next(i for i, line in enumerate(test) if "-m pytest" in line)
    assert dev_install < pytest_run


def test_make_run_imports_nothing_from_the_extras() -> None:
    """What `nyckeltal run` loads (the CLI, the Dagster definitions, the loader, publishing,
    the report) imports no module of an extra at import time: a core install runs it."""
    modules = ("pyspark", "py4j", "psycopg", "metricflow", "pytest", "playwright", "sqlfluff")
    code = (
        "import sys\n"
        "import nyckeltal.cli, nyckeltal.loader, nyckeltal.publish, nyckeltal.report\n"
        "import orchestration.definitions, orchestration.refresh\n"
        f"print(sorted(m for m in {modules!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- deployment


def test_the_dockerfile_installs_lock_files_that_exist() -> None:
    dockerfile = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    installed = re.findall(r"pip install[^\n]*?-r (\S+)", dockerfile)
    assert installed == ["requirements.lock"]
    copied = re.findall(r"^COPY (\S+) ", dockerfile, re.MULTILINE)
    assert all((PROJECT / name).exists() for name in copied), copied
    assert "dagster-daemon" in dockerfile and "dagster-webserver" in dockerfile


def test_the_deployment_page_names_real_commands() -> None:
    text = (PROJECT / "docs" / "deployment.md").read_text(encoding="utf-8")
    code = "\n".join(
        re.findall(r"```[a-z]*\n(.*?)```", text, re.S) + re.findall(r"`([^`\n]+)`", text)
    )
    # Overlapping matches: `docker run ... nyckeltal nyckeltal load` (image, then command).
    named = set(re.findall(r"\bnyckeltal (?=([a-z][a-z-]*))", code)) - {"nyckeltal"}
    assert named, "docs/deployment.md names no nyckeltal command"
    unknown = sorted({name for name in named if name not in COMMANDS})
    assert not unknown, f"docs/deployment.md names commands the CLI lacks: {unknown}"
    for needed in ("docker build", "docker run", "dagster-daemon", "cron"):
        assert needed in text, needed


def _imported_top_level_modules(folders: tuple[str, ...]) -> set[str]:
    modules: set[str] = set()
    for folder in folders:
        for path in (PROJECT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module.split(".")[0])
    return modules


def test_every_package_the_code_imports_is_pinned_in_the_core_lock() -> None:
    """A module imported by nyckeltal/ or orchestration/ comes from a distribution pinned in
    requirements.lock (else a core install fails at the first command), except the modules of
    the extras, which nyckeltal.extras checks before use."""
    from nyckeltal.extras import MODULES

    core = _pins(CORE_LOCK)
    of_extras = {module.split(".")[0] for modules in MODULES.values() for module in modules}
    distributions = metadata.packages_distributions()
    local = {"nyckeltal", "orchestration"}
    third_party = (
        _imported_top_level_modules(("nyckeltal", "orchestration"))
        - set(sys.stdlib_module_names)
        - local
        - (of_extras - {"dbt"})
        - {"py4j"}  # pyspark's, imported beside it
    )
    unpinned = {
        module: distributions.get(module, ["?"])
        for module in sorted(third_party)
        if not any(_name(name) in core for name in distributions.get(module, []))
    }
    assert not unpinned, f"imported but not pinned in requirements.lock: {unpinned}"
