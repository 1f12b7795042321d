"""The Python code's shape: no import cycles between the project's modules.

Every import that runs counts, at the top of a module or inside a function (a deferred
import still ties two modules together); imports under `if TYPE_CHECKING:` do not run.
`from package import name` points at the submodule when `name` is one, else at the package.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ("nyckeltal", "orchestration")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (PROJECT / package).rglob("*.py"):
            parts = list(path.relative_to(PROJECT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:  # imports for type hints only are not run
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    modules = project_modules()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    # A package importing its own submodules in __init__ is not a cycle of ours to break.
    for name in graph:
        graph[name] = {target for target in graph[name] if not target.startswith(name + ".")}
    assert not cycles(graph), cycles(graph)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# The command line's edge to Dagster (`nyckeltal run`, the benchmark's refresh stages).
CLI_EDGE = "nyckeltal.launch"


def test_only_the_command_line_edge_imports_orchestration() -> None:
    """The library never depends on the Dagster shell: apart from the command line's edge,
    which launches the job, no module of nyckeltal/ imports orchestration/."""
    modules = project_modules()
    offenders = {
        name: sorted(target for target in imports_of(name, path, modules) if _in(target))
        for name, path in modules.items()
        if name.split(".")[0] == "nyckeltal" and name != CLI_EDGE
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def _in(module: str, package: str = "orchestration") -> bool:
    return module == package or module.startswith(package + ".")


def test_no_private_dagster_or_dagster_dbt_names() -> None:
    """Public APIs only: no import of `dagster._...` or `dagster_dbt._...` (a private module
    may change in any release, breaking an upgrade silently)."""
    private = re.compile(r"^\s*(?:from|import)\s+(dagster|dagster_dbt)\._", re.MULTILINE)
    attribute = re.compile(r"\b(dagster|dagster_dbt)\._[a-z]")
    found = set()
    for package in PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for match in (*private.finditer(text), *attribute.finditer(text)):
                line = text.count("\n", 0, match.start()) + 1
                found.add(f"{path.relative_to(PROJECT)}:{line}")
    assert sorted(found) == []
