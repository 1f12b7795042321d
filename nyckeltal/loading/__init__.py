"""The parts of `nyckeltal load`: find the files, stage and validate them, write the warehouse.

`nyckeltal.loader.load_directory` is the entry point; the modules here are its steps:

- `files`: which file holds which contract table;
- `screen`: the fast path, files read straight into typed tables and every check asked
  "is anything wrong?" in a few SQL statements;
- `staging`: the detailed validation (only when the screen rejects), each file read into
  the staging DuckDB untyped and in file order, so that problems name lines and values;
- `conversions`: the SQL that converts a CSV or Parquet column to its contract type;
- `checks`: the contract checks, as SQL over the staged tables, collecting every problem;
- `warehouse`: replace the raw tables in one transaction;
- `problems`: how problems read to the user, and `LoadError`;
- `sql`: quoting helpers.
"""
