"""The parts of `nyckeltal load`: find the files, stage and validate them, write the warehouse.

`nyckeltal.loader.load_directory` is the entry point; the modules here are its steps:

- `files`: which file holds which contract table;
- `staging`: read each file into an in-memory DuckDB, untyped and in file order;
- `conversions`: the SQL that converts a CSV or Parquet column to its contract type;
- `checks`: the contract checks, as SQL over the staged tables, collecting every problem;
- `warehouse`: replace the raw tables in one transaction;
- `problems`: how problems read to the user, and `LoadError`;
- `sql`: quoting helpers.
"""
