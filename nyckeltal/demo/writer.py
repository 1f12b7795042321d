"""Writing tables: CSV (the bundled demo) or Parquet (in row groups), typed after the
contract (timestamps to the second, exact decimals, ids as strings).

Files are written by one background thread, in submission order, while the next table is
computed (numpy and Arrow release the GIL): generation and writing overlap on two cores.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from nyckeltal.contract import TABLES_BY_KEY

ROW_GROUP = 1_000_000


def path_for(out_dir: Path, key: str, parquet: bool) -> Path:
    """`<system>__<table>.parquet|csv`; a file of the same table in the other format would
    make the folder ambiguous, so it is removed."""
    stem = TABLES_BY_KEY[key].file_stem
    path = out_dir / f"{stem}.{'parquet' if parquet else 'csv'}"
    path.with_suffix(".csv" if parquet else ".parquet").unlink(missing_ok=True)
    return path


class Output:
    """Where and how the tables are written; `close` waits for every pending write."""

    def __init__(self, small: bool) -> None:
        # The bundled demo is compressed hard (it lives in the repository); large scales
        # favour speed.
        self.parquet_options = (
            {"compression": "zstd", "compression_level": 9} if small else {"compression": "snappy"}
        )
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nyckeltal-write")
        self._pending: list[Future] = []

    def submit(self, function: Callable[..., object], *args: object) -> Future:
        future = self._pool.submit(function, *args)
        self._pending.append(future)
        return future

    def write(self, path: Path, key: str, table: pa.Table) -> Future:
        columns = [column.name for column in TABLES_BY_KEY[key].columns]
        if table.column_names != columns:
            raise ValueError(f"{key}: columns {table.column_names} do not match {columns}")
        return self.submit(self._write, path, table)

    def _write(self, path: Path, table: pa.Table) -> None:
        if path.suffix == ".csv":
            pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(table, path, row_group_size=ROW_GROUP, **self.parquet_options)

    def parquet_writer(self, path: Path, schema: pa.Schema, **options: object) -> pq.ParquetWriter:
        return pq.ParquetWriter(path, schema, **{**self.parquet_options, **options})

    def close(self) -> None:
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pool.shutdown()
