"""The enforced dbt contracts of the marts, read from `models/marts/**/_*__models.yml`.

The mart suites take each mart's columns, its `not_null` and `accepted_values` data tests and
its grain (the one unique key its data tests declare, `MartContract.grain`) from the model
YAML itself, so that they cannot drift
from what dbt builds: change a mart's YAML and the committed suites differ from the generated
ones until `python -m nyckeltal.quality.project` is run (tests/quality/test_quality_project.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from nyckeltal.settings import PACKAGE_PROJECT_DIR

MARTS_SCHEMA = "marts"
MARTS_MODELS = Path("models") / "marts"


@dataclass(frozen=True)
class MartContract:
    """What the YAML of a mart says: its columns (in order) and its data tests."""

    name: str
    path: str  # the YAML file, relative to the project
    columns: tuple[str, ...]
    data_types: tuple[str, ...]  # the contract's data_type of each column, same order
    not_null: tuple[str, ...] = ()
    accepted_values: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    unique_keys: tuple[tuple[str, ...], ...] = ()  # `unique` columns, combinations of columns

    @property
    def relation(self) -> str:
        return f"{MARTS_SCHEMA}.{self.name}"

    @property
    def grain(self) -> tuple[str, ...]:
        """The columns one row stands for: the one unique key the YAML declares (a `unique`
        column or a `unique_combination_of_columns` test), the only place a grain is written."""
        if len(self.unique_keys) != 1:
            found = ", ".join(f"({', '.join(key)})" for key in self.unique_keys) or "none"
            raise ValueError(
                f"mart {self.name} ({self.path}) must declare its grain as exactly one unique "
                "key: a `unique` test on one column or a `unique_combination_of_columns` "
                f"test on the model (found {found})"
            )
        return self.unique_keys[0]


def _tests(node: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """(test name, arguments) of a model's or a column's data tests (`tests` is the old key)."""
    for test in [*(node.get("data_tests") or ()), *(node.get("tests") or ())]:
        if isinstance(test, str):
            yield test.rsplit(".", 1)[-1], {}
        elif isinstance(test, Mapping):
            for name, config in test.items():
                config = dict(config or {})
                arguments = dict(config.pop("arguments", None) or {})
                yield str(name).rsplit(".", 1)[-1], {**config, **arguments}


def _contract(model: Mapping[str, Any], path: str) -> MartContract:
    columns: list[str] = []
    data_types: list[str] = []
    not_null: list[str] = []
    accepted: dict[str, tuple[Any, ...]] = {}
    unique: list[tuple[str, ...]] = []
    for column in model.get("columns") or ():
        name = str(column["name"])
        columns.append(name)
        data_types.append(str(column.get("data_type") or ""))
        for test, arguments in _tests(column):
            if test == "not_null":
                not_null.append(name)
            elif test == "unique":
                unique.append((name,))
            elif test == "accepted_values":
                accepted[name] = tuple(arguments["values"])
    for test, arguments in _tests(model):
        if test == "unique_combination_of_columns":
            unique.append(tuple(arguments["combination_of_columns"]))
    return MartContract(
        name=str(model["name"]),
        path=path,
        columns=tuple(columns),
        data_types=tuple(data_types),
        not_null=tuple(not_null),
        accepted_values=MappingProxyType(accepted),
        unique_keys=tuple(unique),
    )


def mart_contracts(project: Path = PACKAGE_PROJECT_DIR) -> dict[str, MartContract]:
    """Mart name -> its contract, for every model with an enforced contract under
    models/marts of `project` (the run's RunContext.project_dir), in name order. Parsed
    again only when a YAML file changes."""
    files = tuple(
        (path, path.stat().st_mtime_ns)
        for path in sorted((project / MARTS_MODELS).rglob("_*__models.yml"))
    )
    return dict(_parse(project, files))


@lru_cache(maxsize=4)
def _parse(
    project: Path, files: tuple[tuple[Path, int], ...]
) -> tuple[tuple[str, MartContract], ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    contracts: dict[str, MartContract] = {}
    for path, _ in files:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        for model in document.get("models") or ():
            contract = (model.get("config") or {}).get("contract") or {}
            if not contract.get("enforced"):
                continue
            relative = path.relative_to(project).as_posix()
            if model["name"] in contracts:
                raise ValueError(f"mart {model['name']} is declared twice ({relative})")
            contracts[model["name"]] = _contract(model, relative)
    return tuple(sorted(contracts.items()))
