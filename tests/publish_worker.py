"""One publication in a process of its own, for tests/test_publish_reliability.py.

    python publish_worker.py MODE WAREHOUSE PUBLISHED PARQUET_DIR POSTGRES_URL PASSWORD \
        RUN_ID MARKER

MODE `ok` publishes; `fail` raises in the middle of the PostgreSQL load (after the snapshot
and the Parquet build are written and two marts are loaded); `hang` writes MARKER at the
same point and sleeps, for the test to kill it with SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from nyckeltal import publish as publishing


def main() -> None:
    mode, warehouse, published, parquet_dir, url, password, run_id, marker = sys.argv[1:9]
    real_copy = publishing._pg_copy

    def copy(cursor, source, schema: str, table: str, columns: list[str]) -> None:
        real_copy(cursor, source, schema, table, columns)
        if table == "b" and mode == "fail":
            raise RuntimeError("injected failure in the middle of publishing")
        if table == "b" and mode == "hang":
            Path(marker).touch()
            time.sleep(120)

    publishing._pg_copy = copy
    publishing.publish(
        Path(warehouse),
        Path(published),
        run_id=run_id,
        parquet_dir=Path(parquet_dir),
        postgres=publishing.PostgresTarget(url, reader_password=password),
    )


if __name__ == "__main__":
    main()
