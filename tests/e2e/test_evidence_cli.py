"""``credaudit scan --evidence``, ``verify``, ``history``, ``diff`` and ``scan --from-inventory``
against ``credaudit sandbox`` over loopback HTTP."""

from __future__ import annotations

import json
import stat
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.app.sandbox import Sandbox, Simulation
from auditor.cli import cli
from reports.json import load

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    server = Sandbox(Simulation(as_of=AS_OF), port=0)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line)
    return {name: value.strip("'") for name, value in pairs}


def run(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["-q", *args], env=env or {})


def findings(path: Path) -> set[tuple[str, str, str]]:
    doc: Any = load(json.loads(path.read_text()))
    return {(f["fingerprint"], f["status"], f["message"]) for f in doc["findings"]}


@pytest.fixture
def setup(sandbox: Sandbox, tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    config, env_file = sandbox.write_config(tmp_path)
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    (tmp_path / "signing.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "signing.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with config.open("a") as handle:
        handle.write("evidence:\n  signing_key_file: signing.pem\n")
    return config, read_env(env_file), public


def test_evidence_bundle_verify_and_tamper(
    setup: tuple[Path, dict[str, str], Path], tmp_path: Path
) -> None:
    config, env, public = setup
    bundle = tmp_path / "evidence" / "bundle.zip"
    out = tmp_path / "out"
    args = ["scan", "-c", str(config), "-o", str(out), "-f", "json", "--as-of", "2026-11-24"]
    scanned = run([*args, "--fail-on", "never", "--evidence", str(bundle)], env)
    assert scanned.exit_code == 0, scanned.output
    assert f"wrote {bundle}" in scanned.output
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600

    with zipfile.ZipFile(bundle) as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    assert {"manifest.json", "manifest.sig", "manifest.pub", "reports/results.json"} <= set(
        contents
    )
    for name, value in env.items():
        if "SECRET" in name:
            assert not any(value.encode() in data for data in contents.values()), name
        assert not any(name.encode() in data for data in contents.values()), name
    # the bundle's results.json is the one written to -o (same scan, same marks)
    assert findings(out / "results.json") == {
        (f["fingerprint"], f["status"], f["message"])
        for f in load(json.loads(contents["reports/results.json"]))["findings"]
    }

    ok = run(["verify", str(bundle)])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output and "self-asserted" in ok.output
    pinned = run(["verify", str(bundle), "--public-key", str(public)])
    assert pinned.exit_code == 0, pinned.output
    assert "signed by the given public key" in pinned.output

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data + b" " if name == "policy.json" else data)
    bad = run(["verify", str(tampered)])
    assert bad.exit_code == 2, bad.output
    assert "altered: policy.json" in bad.output
    assert "verification FAILED (1 problem(s))" in bad.output

    traversal = tmp_path / "traversal.zip"
    with zipfile.ZipFile(traversal, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        archive.writestr("../escaped.txt", b"x")
    refused = run(["verify", str(traversal)])
    assert refused.exit_code == 2
    assert "path traversal" in refused.output
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_history_diff_and_reevaluation(
    setup: tuple[Path, dict[str, str], Path], tmp_path: Path
) -> None:
    config, env, _ = setup
    base = ["scan", "-c", str(config), "-f", "json", "--fail-on", "never"]
    first = run([*base, "-o", str(tmp_path / "one"), "--as-of", "2026-11-24"], env)
    assert first.exit_code == 0, first.output
    assert "history: " in first.output
    assert "resolved since the last complete scan" in first.output
    second = run([*base, "-o", str(tmp_path / "two"), "--as-of", "2027-03-01"], env)
    assert second.exit_code == 0, second.output
    skipped = run([*base, "-o", str(tmp_path / "three"), "--no-history"], env)
    assert skipped.exit_code == 0, skipped.output

    listed = run(["history", "-c", str(config), "--format", "json"])  # no secrets needed
    assert listed.exit_code == 0, listed.output
    scans = json.loads(listed.output)
    one: Any = json.loads((tmp_path / "one" / "results.json").read_text())
    two: Any = load(json.loads((tmp_path / "two" / "results.json").read_text()))
    assert [s["id"] for s in scans] == [one["scan"]["id"], two["scan"]["id"]]
    assert (tmp_path / "credaudit.db").is_file()  # history.database, beside the config

    diffed = run(["diff", "-c", str(config), "--format", "json"])
    assert diffed.exit_code == 0, diffed.output
    diff = json.loads(diffed.output)
    assert (diff["a"], diff["b"]) == (one["scan"]["id"], two["scan"]["id"])
    open_statuses = {"fail", "manual", "waived"}
    new_in_two = {f["fingerprint"] for f in two["findings"] if f["change"] == "new"}
    assert {f["fingerprint"] for f in diff["new"]} == new_in_two
    assert {f["fingerprint"] for f in diff["resolved"]} == {
        f["fingerprint"] for f in two["resolved"]
    }
    assert new_in_two or diff["resolved"]  # months later, something changed
    assert all(f["change"] is None for f in two["findings"] if f["status"] not in open_statuses)
    text = run(["diff", one["scan"]["id"][:8], two["scan"]["id"], "-c", str(config)])
    assert text.exit_code == 0, text.output
    assert f"{len(diff['new'])} new, {len(diff['resolved'])} resolved" in text.output

    # re-perform the first scan from its results.json: no secrets, no vendor
    again = tmp_path / "again"
    saved = str(tmp_path / "one" / "results.json")
    rerun = run(
        ["scan", "--from-inventory", saved, "-c", str(config), "-o", str(again), "-f", "json"]
    )
    assert rerun.exit_code == 1, rerun.output  # the curated data holds high findings
    assert findings(again / "results.json") == findings(tmp_path / "one" / "results.json")
    bare = run(["scan", "--from-inventory", saved, "-o", str(tmp_path / "bare"), "-f", "json"])
    assert bare.exit_code == 1, bare.output
    assert findings(tmp_path / "bare" / "results.json") == findings(again / "results.json")
    assert len(json.loads(run(["history", "-c", str(config), "--format", "json"]).output)) == 2


def test_usage_errors(tmp_path: Path) -> None:
    missing = run(["scan"])
    assert missing.exit_code == 2
    assert "scan needs -c CONFIG" in missing.output
    nodb = run(["history", "--database", str(tmp_path / "none.db")])
    assert nodb.exit_code == 2
    assert "no history database at" in nodb.output
    assert not (tmp_path / "none.db").exists()
    junk = tmp_path / "junk.json"
    junk.write_text("{")
    bad = run(["scan", "--from-inventory", str(junk)])
    assert bad.exit_code == 2
    assert "is not a JSON file" in bad.output
    junk.write_text("[]")
    assert "is not a credaudit results.json" in run(["scan", "--from-inventory", str(junk)]).output


def test_unusable_history_still_writes_the_reports(
    setup: tuple[Path, dict[str, str], Path], tmp_path: Path
) -> None:
    config, env, _ = setup
    (tmp_path / "blocked.db").mkdir()  # a folder where the database file should be
    with config.open("a") as handle:
        handle.write("history:\n  database: blocked.db\n")
    out = tmp_path / "out"
    args = ["scan", "-c", str(config), "-o", str(out), "-f", "json", "--fail-on", "never"]
    result = run(args, env)
    assert result.exit_code == 2, result.output
    assert "history database" in result.output
    assert "the reports are written without history marks" in result.output
    doc = load(json.loads((out / "results.json").read_text()))
    assert {f["change"] for f in doc["findings"]} == {None}
    assert run([*args, "--no-history"], env).exit_code == 0


def test_printable_neutralises_terminal_escapes() -> None:
    from auditor.cli import printable as _printable

    assert _printable("x\x1b[8mhidden\x07") == "x\\x1b[8mhidden\\x07"
    assert _printable("scan-1 ok") == "scan-1 ok"
