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
    """Public APIs only, in the tests too: no import of `dagster._...` or `dagster_dbt._...`
    (a private module may change in any release, breaking an upgrade silently)."""
    private = re.compile(r"^\s*(?:from|import)\s+(dagster|dagster_dbt)\._", re.MULTILINE)
    attribute = re.compile(r"\b(dagster|dagster_dbt)\._[a-z]")
    found = set()
    for package in (*PACKAGES, "tests"):
        for path in sorted((PROJECT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for match in (*private.finditer(text), *attribute.finditer(text)):
                line = text.count("\n", 0, match.start()) + 1
                found.add(f"{path.relative_to(PROJECT)}:{line}")
    assert sorted(found) == []


LIBRARIES = ("dagster", "dagster_dbt")


def private_overrides(tree: ast.Module) -> list[int]:
    """Lines of methods named `_...` (not dunder) in classes that subclass a class imported
    from Dagster or dagster-dbt: an override of a private method, which a release may rename
    or change silently."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES
        for alias in node.names
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {ast.unparse(base).split(".")[0] for base in node.bases}
        if not bases & (imported | set(LIBRARIES)):
            continue
        for item in node.body:
            if (
                isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("_")
                and not item.name.startswith("__")
            ):
                lines.append(item.lineno)
    return lines


def test_no_override_of_a_private_dagster_or_dagster_dbt_method() -> None:
    found = {
        f"{path}:{line}"
        for path, tree in python_files((*PACKAGES, "tests")).items()
        for line in private_overrides(tree)
    }
    assert sorted(found) == []


def test_the_private_override_check_finds_one() -> None:
    tree = ast.parse(
        "from dagster_dbt import DbtCliResource\n"
        "class Mine(DbtCliResource):\n"
        "    def __init__(self): pass\n"
        "    def _initialize_dbt_core_adapter(self, args): return None\n"
        "class Other:\n"
        "    def _private(self): pass\n"
    )
    assert private_overrides(tree) == [4]


# --------------------------------------------------------------------------- run context

ENGINE_NAMES = {"duckdb", "postgres", "spark"}
ENGINE_PACKAGE = "nyckeltal/engine/"
# The edges: where a process, a command, a Dagster code location or run, or a user's own
# script starts, and the settings or the environment are read into the run context
# (RunContext.build), which is passed down. Every other module gets its values from that
# context or from parameters. Code under `if __name__ == "__main__":` is a process's edge
# wherever it is (`python -m nyckeltal.catalogue`, `python -m nyckeltal.quality.project`).
EDGES = {
    "nyckeltal/settings.py": "the settings themselves",
    "nyckeltal/context.py": "RunContext.build: the run context from the settings",
    "nyckeltal/cli.py": "the command line (`nyckeltal ...`; cli_parser.py reads nothing)",
    "nyckeltal/benchmark.py": "`nyckeltal bench` and its stage processes",
    "nyckeltal/children.py": "`nyckeltal-dbt`, the dbt child process's entry point",
    "nyckeltal/quality/gx_api.py": "`gx_context()` / `gx_parameters()` for a user's script",
    "orchestration/definitions.py": "the code location (`dagster dev`, `nyckeltal run`)",
    "orchestration/resources.py": "a run's NyckeltalResource config",
}
# The functions of nyckeltal.settings that read the environment (or .env) when called.
ENVIRONMENT_READERS = {
    "current",
    "Settings",
    "project_dir",
    "dbt_project_vars",
    "warehouse_path",
    "published_path",
    "alerts_path",
    "report_dir",
    "reporting_currency",
    "environment_without_settings",
}


def python_files(folders: tuple[str, ...] = PACKAGES) -> dict[str, ast.Module]:
    return {
        str(path.relative_to(PROJECT)): ast.parse(path.read_text(encoding="utf-8"))
        for folder in folders
        for path in sorted((PROJECT / folder).rglob("*.py"))
    }


def _is_environ(node: ast.AST) -> bool:
    return ast.unparse(node) in ("os.environ", "environ")


def environment_writes(tree: ast.Module) -> list[int]:
    """Lines that change the process environment: `os.environ[...] = / del / +=`,
    `os.environ.update/setdefault/pop/popitem/clear`, `os.putenv`, `os.unsetenv`."""
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Subscript) and _is_environ(t.value) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, owner = node.func.attr, node.func.value
            mutators = ("update", "setdefault", "pop", "popitem", "clear", "__setitem__")
            if (_is_environ(owner) and method in mutators) or (
                ast.unparse(owner) == "os" and method in ("putenv", "unsetenv")
            ):
                lines.append(node.lineno)
    return lines


def engine_comparisons(tree: ast.Module) -> list[int]:
    """Lines comparing a value with an engine name ("duckdb", "postgres", "spark"): `==`,
    `!=`, `in (...)`, or a `case`."""

    def names(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in ENGINE_NAMES
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(names(element) for element in node.elts)
        return False

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            names(side) for side in (node.left, *node.comparators)
        ):
            lines.append(node.lineno)
        elif isinstance(node, ast.MatchValue) and names(node.value):
            lines.append(node.value.lineno)
    return lines


def _main_blocks(tree: ast.Module) -> set[int]:
    """The ids of the nodes under `if __name__ == "__main__":` (a process's edge)."""
    return {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"
        for child in ast.walk(node)
    }


def settings_reads(tree: ast.Module) -> list[int]:
    """Lines reading the settings or the environment: a call of a function of
    nyckeltal.settings that reads them (`settings.current()`, `settings.project_dir()`,
    `settings.dbt_project_vars()`, `Settings()`, ...; imported by name or through the
    module), `settings.engine_environment()` or `RunContext.build(...)` without settings
    given, `os.environ` / `os.getenv` in any form. Code under `if __name__ == "__main__":`
    does not count."""
    modules = {"settings", "nyckeltal.settings"}  # names of the module nyckeltal.settings
    functions: dict[str, str] = {}  # local name -> function of nyckeltal.settings
    environ = {"os.environ", "os.environb"}
    getenv = {"os.getenv", "os.getenvb"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "nyckeltal":
            modules |= {a.asname or a.name for a in node.names if a.name == "settings"}
        elif isinstance(node, ast.ImportFrom) and node.module == "nyckeltal.settings":
            functions |= {alias.asname or alias.name: alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ("environ", "environb"):
                    environ.add(alias.asname or alias.name)
                elif alias.name in ("getenv", "getenvb"):
                    getenv.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == "nyckeltal.settings" and a.asname}
    skipped = _main_blocks(tree)
    lines = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Attribute | ast.Name) and ast.unparse(node) in environ:
            lines.add(node.lineno)
        if not isinstance(node, ast.Call):
            continue
        called = ast.unparse(node.func)
        owner, _, name = called.rpartition(".")
        function = name if owner in modules else functions.get(called, "")
        unconfigured = not node.args and not any(k.arg == "config" for k in node.keywords)
        if (
            function in ENVIRONMENT_READERS
            or (function == "engine_environment" and unconfigured)
            or (called == "RunContext.build" and unconfigured)
            or called in getenv
        ):
            lines.add(node.lineno)
    return sorted(lines)


def test_nothing_changes_the_process_environment() -> None:
    """dbt gets its variables per invocation (nyckeltal.dbt_runner.dbt_cli); the tests and
    the benchmark scripts too: a child process gets its own environment (`env=`), a test
    sets variables through pytest's monkeypatch, which undoes them."""
    files = python_files(PACKAGES + ("tests", "benchmarks"))
    found = {path: lines for path, tree in files.items() if (lines := environment_writes(tree))}
    assert found == {}


def test_engine_names_are_compared_only_in_the_engine_package() -> None:
    found = {
        path: lines
        for path, tree in python_files().items()
        if not path.startswith(ENGINE_PACKAGE) and (lines := engine_comparisons(tree))
    }
    assert found == {}


def test_settings_are_read_only_at_the_edges() -> None:
    """Below the edges (EDGES) everything comes from the RunContext passed down, or from
    parameters (the project folder of the catalogue, the GX suites, the report)."""
    found = {
        path: lines
        for path, tree in python_files().items()
        if path not in EDGES and (lines := settings_reads(tree))
    }
    assert found == {}
    assert all((PROJECT / edge).exists() for edge in EDGES)


def test_the_architecture_checks_find_what_they_look_for() -> None:
    tree = ast.parse(
        "import os\n"
        "os.environ['A'] = '1'\n"
        "os.environ.update(B='2')\n"
        "os.environ.setdefault('C', '3')\n"
        "os.putenv('D', '4')\n"
        "if target == 'duckdb': pass\n"
        "if name in ('postgres', 'x'): pass\n"
        "config = settings.current()\n"
        "context = RunContext.build()\n"
        "value = os.environ.get('E')\n"
        "kinds = {'duckdb'}\n"
    )
    assert environment_writes(tree) == [2, 3, 4, 5]
    assert engine_comparisons(tree) == [6, 7]
    assert settings_reads(tree) == [2, 3, 4, 8, 9, 10]


def test_the_settings_check_finds_every_kind_of_read() -> None:
    tree = ast.parse(
        "import os\n"
        "from os import getenv as env\n"
        "from nyckeltal import settings as configured\n"
        "from nyckeltal.settings import PACKAGE_PROJECT_DIR, Settings, dbt_project_vars\n"
        "root = configured.project_dir()\n"
        "currency = dbt_project_vars()['reporting_currency']\n"
        "home = env('HOME')\n"
        "variables = dict(os.environ)\n"
        "config = Settings()\n"
        "fine = RunContext.build(config, warehouse=root)\n"
        "also_fine = settings.engine_environment(config)\n"
        "folder = PACKAGE_PROJECT_DIR / 'seeds'\n"
        "def annotated(config: Settings) -> None: ...\n"
        "if __name__ == '__main__':\n"
        "    main(project=settings.current().project_dir)\n"
    )
    assert settings_reads(tree) == [5, 6, 7, 8, 9]
