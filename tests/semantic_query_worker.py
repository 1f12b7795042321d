"""Run MetricFlow queries through dbt-metricflow's own configuration (what `mf query` does),
in a process of its own, and write their rows as JSON: tests/test_semantic_layer.py.

    python semantic_query_worker.py PROJECT_DIR REQUESTS.json RESULTS.json

PROJECT_DIR holds dbt_project.yml, profiles.yml and target/semantic_manifest.json. Each
request is {"metrics": [...], "group_by": [...], "where": [...]} or {"saved_query": name};
each result is a list of rows, {column: value}, with dates as ISO strings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dbt_metricflow.cli.cli_configuration import CLIConfiguration
from metricflow.engine.metricflow_engine import MetricFlowQueryRequest


def main(project: str, requests_file: str, results_file: str) -> None:
    configuration = CLIConfiguration()
    configuration.setup(
        dbt_profiles_path=Path(project),
        dbt_project_path=Path(project),
        configure_file_logging=False,
    )
    results = []
    for request in json.loads(Path(requests_file).read_text(encoding="utf-8")):
        query = MetricFlowQueryRequest.create(
            saved_query_name=request.get("saved_query"),
            metric_names=request.get("metrics"),
            group_by_names=request.get("group_by"),
            where_constraints=request.get("where"),
        )
        table = configuration.mf.query(query).result_df
        names = [name.lower() for name in table.column_names]
        results.append([dict(zip(names, row, strict=True)) for row in table.rows])
    Path(results_file).write_text(json.dumps(results, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
