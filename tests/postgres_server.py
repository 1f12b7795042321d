"""A private PostgreSQL server for the tests: Debian's `postgresql` binaries, a fresh cluster
in a temporary folder, listening on a free port of 127.0.0.1 only, stopped at the end.

scripts/install-test-dependencies.sh installs the package (run by `make test`). PostgreSQL
refuses to run as root, so when the tests run as root (CI containers) the cluster belongs to
the `postgres` user the package creates; otherwise to the current user. If the server cannot
start, the tests that need it fail: it is part of the suite, not optional.

The cluster has a superuser `postgres` and a database `kpis` owned by `nyckeltal_publisher`
(LOGIN CREATEROLE, not a superuser: what a publishing account needs). TCP connections need
a password (scram-sha-256), so the reader role's password is really checked.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER_PASSWORD = "test-superuser-password"
PUBLISHER = "nyckeltal_publisher"
PUBLISHER_PASSWORD = "test-publisher-password"
DATABASE = "kpis"


def postgres_bindir() -> Path:
    """The bin folder of the newest installed PostgreSQL (Debian keeps one per version)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError(
        "PostgreSQL is not installed: run scripts/install-test-dependencies.sh "
        "(Debian package `postgresql`)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running private server (see `start`)."""

    bindir: Path
    folder: Path
    port: int
    user: str | None  # the OS user the server runs as, when not the current one

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, role: str, password: str, database: str = DATABASE) -> str:
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/{database}"

    @property
    def superuser_url(self) -> str:
        return self.url("postgres", SUPERUSER_PASSWORD)

    @property
    def publisher_url(self) -> str:
        return self.url(PUBLISHER, PUBLISHER_PASSWORD)

    def _run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bindir / arguments[0]), *arguments[1:]],
            capture_output=True,
            text=True,
            user=self.user,
            cwd=self.folder,
            timeout=120,
            check=False,
        )

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> PostgresServer:
    """Initialise and start a cluster; raise with the server's log when it does not start."""
    import psycopg

    bindir = postgres_bindir()
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="nyckeltal-pg-"))
    if user:
        account = pwd.getpwnam(user)
        os.chown(folder, account.pw_uid, account.pw_gid)
    server = PostgresServer(bindir, folder, 0, user)
    (folder / "pwfile").write_text(SUPERUSER_PASSWORD + "\n", encoding="utf-8")
    if user:
        os.chown(folder / "pwfile", account.pw_uid, account.pw_gid)
    init = server._run(
        "initdb",
        "-D",
        str(server.data),
        "-U",
        "postgres",
        "--pwfile",
        str(folder / "pwfile"),
        "--auth",
        "scram-sha-256",
        "-E",
        "UTF8",
        "--locale",
        "C",
        "--no-sync",
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    log = folder / "server.log"
    for _ in range(5):
        server.port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={server.port} "
            "-c unix_socket_directories='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c deadlock_timeout=200ms"
        )
        started = server._run(
            "pg_ctl",
            "start",
            "-D",
            str(server.data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
        )
        if started.returncode == 0:
            break
    else:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start:\n{started.stderr}\n{text}")
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(server.url("postgres", SUPERUSER_PASSWORD, "postgres")) as admin:
                admin.autocommit = True
                admin.execute(
                    f"create role {PUBLISHER} login createrole password '{PUBLISHER_PASSWORD}'"
                )
                admin.execute(f"create database {DATABASE} owner {PUBLISHER}")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.2)
    return server
