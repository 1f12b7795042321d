"""Writing tables: CSV (the bundled demo) or Parquet (zstd, in row groups), typed after the
contract (timestamps to the second, exact decimals, ids as strings)."""

from __future__ import annotations

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


def write(path: Path, key: str, table: pa.Table, compression_level: int = 3) -> None:
    """Write `table` (its columns in contract order) as CSV or Parquet, after `path`."""
    columns = [column.name for column in TABLES_BY_KEY[key].columns]
    if table.column_names != columns:
        raise ValueError(f"{key}: columns {table.column_names} do not match {columns}")
    if path.suffix == ".csv":
        options = pa_csv.WriteOptions(quoting_style="needed")
        pa_csv.write_csv(table, path, options)
    else:
        pq.write_table(
            table,
            path,
            row_group_size=ROW_GROUP,
            compression="zstd",
            compression_level=compression_level,
        )


class ChunkedParquet:
    """A Parquet file written chunk by chunk (for the tables too large to build at once)."""

    def __init__(self, path: Path, key: str, schema: pa.Schema, compression_level: int) -> None:
        self.key = key
        self.writer = pq.ParquetWriter(
            path, schema, compression="zstd", compression_level=compression_level
        )

    def __enter__(self) -> ChunkedParquet:
        return self

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table, row_group_size=ROW_GROUP)

    def __exit__(self, *_: object) -> None:
        self.writer.close()
