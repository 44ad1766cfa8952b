"""A throwaway PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` in a temporary folder on a
free loopback port, once per test session, with password (SCRAM) authentication so the password
path is exercised; each test gets its own fresh database.

Runs the Debian ``postgresql`` package's binaries (``/usr/lib/postgresql/<version>/bin``, or the
folder in ``CREDAUDIT_PG_BIN``). PostgreSQL refuses to run as root, so as root the cluster runs as
``nobody`` (as pytest-postgresql's docs advise: never as root). When no PostgreSQL is installed the
PostgreSQL cases are skipped with the reason, unless ``CREDAUDIT_REQUIRE_POSTGRES=1`` (CI,
``.ci/run``), which makes that a failure: CI always runs them.
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from auditor.app.historydb import PostgresTarget

REQUIRE_ENV = "CREDAUDIT_REQUIRE_POSTGRES"
PASSWORD_ENV = "CREDAUDIT_TEST_PGPASSWORD"
USER = "credaudit"


def find_bin() -> Path | None:
    configured = os.environ.get("CREDAUDIT_PG_BIN")
    if configured:
        return Path(configured)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Cluster:
    port: int
    password: SecretStr
    _names: Iterator[int]

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> Any:
        import psycopg

        return psycopg.connect(
            self.url("postgres"), password=self.password.get_secret_value(), autocommit=True
        )

    def new_database(self) -> PostgresTarget:
        name = f"t{next(self._names)}"
        with self.admin() as db:
            db.execute(f"CREATE DATABASE {name}")
        return PostgresTarget(self.url(name), self.password)


def start_cluster() -> Iterator[Cluster]:
    bindir = find_bin()
    if bindir is None or not (bindir / "initdb").exists():
        reason = (
            "PostgreSQL is not installed (apt-get install postgresql, or set CREDAUDIT_PG_BIN "
            "to the folder holding initdb and pg_ctl)"
        )
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason} and {REQUIRE_ENV}=1")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="credaudit-pg-"))
    user: str | None = None
    if os.geteuid() == 0:
        user = "nobody"
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data, log, pwfile = root / "data", root / "server.log", root / "pw"
    password = secrets.token_urlsafe(24)
    pwfile.write_text(password)
    if user is not None:
        os.chown(pwfile, pwd.getpwnam(user).pw_uid, -1)
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run(
            args, check=True, user=user, cwd=root, capture_output=True, text=True, timeout=120
        )

    try:
        run(
            str(bindir / "initdb"),
            "-D", str(data), "-U", USER, "--pwfile", str(pwfile),
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        run(
            str(bindir / "pg_ctl"),
            "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50",
            "start",
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "") + (log.read_text() if log.exists() else "")
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"cannot start the test PostgreSQL server: {detail[-2000:]}")
    try:
        yield Cluster(port, SecretStr(password), itertools.count(1))
    finally:
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            user=user,
            cwd=root,
            capture_output=True,
            timeout=120,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    yield from start_cluster()


@pytest.fixture(params=["sqlite", "postgresql"])
def history_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | PostgresTarget:
    """Each history contract test runs against both backends: a fresh SQLite file, and a fresh
    database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return tmp_path / "h.db"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


@pytest.fixture
def pg_target(pg_cluster: Cluster) -> PostgresTarget:
    """A fresh database on the session's PostgreSQL server."""
    return pg_cluster.new_database()
