"""``credaudit scan`` against vendors that echo the secrets back, over loopback HTTP.

Each form of ``tests.hostile.FORMS`` is served by both simulated tenants at once, each echoing its
own client secret (or the bearer token it was sent); then every output is searched for any
12-character fragment of any form of the secrets, the ConductorOne private key and the tokens:
stdout, stderr, the log, every report, the evidence bundle's entries and every history row.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.app.sandbox import Simulation
from auditor.cli import cli
from tests.hostile import FORMS, HostileSandbox, fragments, leaks, secret_values

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
FORMATS = "html,markdown,json,csv,ocsf"
WITHHELD = "[withheld: matched a secret]"
ENDINGS = {
    "upper": f"invalid client {WITHHELD}",
    "zero-width": f"invalid client {WITHHELD}",
    "whole": f"invalid client {WITHHELD}",
    "json": f'request was {{"credential": "{WITHHELD}"}}',
    "authorization": f"token {WITHHELD} is not valid here",
}
"""How some vendor texts read once withheld (the ConductorOne prefix goes with the key)."""
pytestmark = pytest.mark.e2e


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line)
    return {name: value.strip("'") for name, value in pairs}


def history_rows(database: Path) -> Iterator[tuple[str, str]]:
    """Every value of every row of every table; compressed blobs decompressed."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table}"):
                for value in row:
                    if isinstance(value, bytes):
                        with contextlib.suppress(zlib.error):
                            value = zlib.decompress(value)
                        value = value.decode("utf-8", "replace")
                    yield f"history {table}", str(value)


@pytest.fixture(params=FORMS)
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileSandbox]:
    server = HostileSandbox(Simulation(as_of=AS_OF), request.param)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def test_no_fragment_of_a_secret_reaches_any_output(
    hostile: HostileSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, env_file = hostile.write_config(tmp_path / "cfg")
    with config.open("a") as handle:
        handle.write("history:\n  database: history.db\n")
    out, bundle = tmp_path / "out", tmp_path / "evidence.zip"
    args = ["-v", "scan", "-c", str(config), "-o", str(out), "-f", FORMATS]
    args += ["--as-of", "2026-11-24", "--evidence", str(bundle), "--fail-on", "never"]
    with caplog.at_level(logging.DEBUG):
        run = CliRunner().invoke(cli, args, env=read_env(env_file))

    form = hostile.echoes[0].form
    texts: list[tuple[str, str]] = [
        ("stdout", run.stdout),
        ("stderr", run.stderr),
        ("log", caplog.text),
    ]
    texts += [(str(p), p.read_text("utf-8")) for p in sorted(out.rglob("*")) if p.is_file()]
    with zipfile.ZipFile(bundle) as archive:
        texts += [(f"bundle {n}", archive.read(n).decode()) for n in archive.namelist()]
    texts += list(history_rows(config.parent / "history.db"))
    windows = fragments(secret_values(hostile.simulation, hostile.echoes))
    found = {name: hits[:3] for name, text in texts if (hits := leaks(text, windows))}
    assert not found, f"{form}: fragments of a secret in {found}"

    assert all(echo.tokens for echo in hostile.echoes)  # both tenants reached the hostile echo
    assert run.exit_code == (0 if form == "name" else 3), run.output
    doc = json.loads((out / "results.json").read_text())
    expected = {"name": "complete", "record": "partial"}.get(form, "failed")
    for cov in doc["coverage"]:
        assert cov["status"] == expected, cov
        assert any("vendor text was withheld" in n for n in cov["notes"]), cov
    if form == "record":
        for cov in doc["coverage"]:
            assert any(WITHHELD in e["message"] for e in cov["record_errors"]), cov
    elif form == "name":
        renamed = {c["tenant"] for c in doc["credentials"] if c["name"] == "ci deploy " + WITHHELD}
        assert renamed == {"sandbox-c1", "sandbox-isc"}  # withheld, the scan otherwise intact
    else:
        for cov in doc["coverage"]:
            assert WITHHELD in cov["error"]
            assert cov["error"].endswith(ENDINGS.get(form, "")), cov["error"]
