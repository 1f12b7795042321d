"""The PostgreSQL engine: dbt builds in a server; the raw tables are replaced in one
transaction (streamed with COPY: nyckeltal.engine.raw_writers)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from nyckeltal.engine.base import Engine, RawTables, duckdb_type

if TYPE_CHECKING:
    import pyarrow as pa


class PostgresConnection:
    """A psycopg connection with DuckDB's `?` parameters."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(sql.replace("?", "%s"), list(params) or None)

    def table_columns(self, schema: str, name: str) -> dict[str, str]:
        rows = self.connection.execute(
            "select column_name, data_type, numeric_precision, numeric_scale "
            "from information_schema.columns where table_schema = %s and table_name = %s "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
        return {
            column: f"DECIMAL({precision},{scale})"
            if kind == "numeric" and precision is not None
            else duckdb_type(kind)
            for column, kind, precision, scale in rows
        }

    def tables(self, schema: str) -> list[str]:
        rows = self.connection.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "and table_type = 'BASE TABLE' order by 1",
            [schema],
        ).fetchall()
        return [str(row[0]) for row in rows]


def _conninfo_quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class PostgresEngine(Engine):
    name = "postgres"
    extra = "postgres"

    def describe(self, warehouse: Path) -> str:
        config = self.config
        return (
            f"PostgreSQL {config.postgres_user}@{config.postgres_host}:{config.postgres_port}"
            f"/{config.postgres_database}"
        )

    def conninfo(self) -> str:
        """A libpq connection string of the target server."""
        config = self.config
        password = config.postgres_password.get_secret_value() if config.postgres_password else ""
        parts = {
            "host": config.postgres_host,
            "port": str(config.postgres_port),
            "user": config.postgres_user,
            "dbname": config.postgres_database,
            "sslmode": config.postgres_sslmode,
        }
        if password:
            parts["password"] = password
        return " ".join(f"{key}='{_conninfo_quote(value)}'" for key, value in parts.items())

    def sqlalchemy_url(self) -> str:
        """The SQLAlchemy URL of the target server (psycopg), for Great Expectations."""
        from sqlalchemy.engine import URL

        config = self.config
        password = config.postgres_password.get_secret_value() if config.postgres_password else None
        return URL.create(
            "postgresql+psycopg",
            username=config.postgres_user,
            password=password,
            host=config.postgres_host,
            port=config.postgres_port,
            database=config.postgres_database,
            query={"sslmode": config.postgres_sslmode},
        ).render_as_string(hide_password=False)

    @contextmanager
    def connect(self, warehouse: Path) -> Iterator[PostgresConnection]:
        """A psycopg connection (autocommit: every query sees the last commit of the loader
        and of dbt)."""
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as connection:
            yield PostgresConnection(connection)

    def read_errors(self) -> tuple[type[BaseException], ...]:
        import psycopg

        return (duckdb.Error, psycopg.Error)

    def write_raw_tables(self, tables: RawTables, warehouse: Path) -> str:
        from nyckeltal.engine.raw_writers import write_postgres_tables

        tables.progress("Replacing the raw tables in PostgreSQL")
        return write_postgres_tables(tables, self.conninfo(), self.describe(warehouse))

    def write_table(self, warehouse: Path, schema: str, name: str, frame: pa.Table) -> None:
        """COPY into a new table that replaces the old one, in one transaction."""
        from nyckeltal.engine.frame_writers import write_postgres_table

        write_postgres_table(self.conninfo(), schema, name, frame)

    def gx_datasource(self, context: Any, name: str) -> Any:
        """A GX SQL data source on the target server: GX computes every metric in SQL."""
        return context.data_sources.add_sql(
            name, connection_string=self.sqlalchemy_url(), create_temp_table=False
        )

    def publication_postgres(self) -> tuple[str, str] | None:
        """The target server itself, schema NYCKELTAL_POSTGRES_PUBLISHED_SCHEMA."""
        return self.conninfo(), self.config.postgres_published_schema
