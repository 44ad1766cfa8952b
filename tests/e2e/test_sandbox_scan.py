"""``credaudit scan`` against ``credaudit sandbox`` over real HTTP on loopback."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.app.sandbox import Faults, Sandbox, Simulation
from auditor.cli import cli
from auditor.kernel.errors import UsageError
from reports.json import load

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
pytestmark = pytest.mark.e2e


def serve(faults: Faults) -> Iterator[Sandbox]:
    server = Sandbox(Simulation(as_of=AS_OF, faults=faults), port=0)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from serve(Faults())


@pytest.fixture(scope="module")
def damaged_sandbox() -> Iterator[Sandbox]:
    yield from serve(Faults(malformed_records=2))


ARGS = ["-q", "scan", "-f", "json", "--as-of", "2026-11-24"]


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line)
    return {name: value.strip("'") for name, value in pairs}


def test_scan_over_loopback_equals_ground_truth(sandbox: Sandbox, tmp_path: Path) -> None:
    config, env_file = sandbox.write_config(tmp_path)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    env = read_env(env_file)
    out = tmp_path / "out"
    args = [*ARGS, "-c", str(config), "-o", str(out)]
    result = CliRunner().invoke(cli, args, env=env)
    # the curated tenants hold critical findings, so the default --fail-on high exits 1
    assert result.exit_code == 1, result.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["scan"]["status"] == "complete"
    assert {c["status"] for c in doc["coverage"]} == {"complete"}

    sim = sandbox.simulation
    c1_truth = {r["id"] for r in sim.tenant("conductorone").simulator.ground_truth()}
    sp_truth = {
        r["id"] for r in sim.tenant("sailpoint").simulator.ground_truth("v3", include_managed=True)
    }
    got = [(c["tenant"], c["id"]) for c in doc["credentials"]]
    assert len(got) == len(set(got))  # none duplicated
    assert set(got) == {("sandbox-c1", i) for i in c1_truth} | {
        ("sandbox-isc", i) for i in sp_truth
    }
    text = (out / "results.json").read_text()
    for name in ("CREDAUDIT_SANDBOX_C1_CLIENT_SECRET", "CREDAUDIT_SANDBOX_ISC_CLIENT_SECRET"):
        assert env[name] not in text
        assert env[name] not in result.output

    never = CliRunner().invoke(cli, [*args, "--fail-on", "never"], env=env)
    assert never.exit_code == 0, never.output


def test_unreadable_records_are_reported_and_exit_3(
    damaged_sandbox: Sandbox, tmp_path: Path
) -> None:
    config, env_file = damaged_sandbox.write_config(tmp_path)
    out = tmp_path / "out"
    args = [*ARGS, "-c", str(config), "-o", str(out), "--fail-on", "never"]
    result = CliRunner().invoke(cli, args, env=read_env(env_file))
    assert result.exit_code == 3, result.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["scan"]["status"] == "partial"
    for coverage in doc["coverage"]:
        assert coverage["status"] == "partial"
        assert len(coverage["record_errors"]) == 2
    sim = damaged_sandbox.simulation
    expected = (
        len(sim.tenant("conductorone").simulator.ground_truth())
        + len(sim.tenant("sailpoint").simulator.ground_truth("v3"))
        - 2
    )
    assert len(doc["credentials"]) == expected


def test_sandbox_binds_loopback_only() -> None:
    with pytest.raises(UsageError, match="loopback only"):
        Sandbox(Simulation(as_of=AS_OF), host="0.0.0.0")


def test_validate_connect_shows_what_the_credentials_could_see(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Every tenant's notes, complete or not: e.g. whether Workflow-managed PATs are covered."""
    config, env_file = sandbox.write_config(tmp_path)
    result = CliRunner().invoke(
        cli, ["-q", "validate", "--connect", "-c", str(config)], env=read_env(env_file)
    )
    assert result.exit_code == 0, result.output
    assert "sandbox-isc (sailpoint): complete" in result.output
    assert (
        "info: platform-managed PATs (created by Workflows) are covered: the list included 2"
        in result.output
    )


@pytest.fixture(scope="module")
def settings_refused_sandbox() -> Iterator[Sandbox]:
    yield from serve(Faults.parse("deny-session-settings"))


def _c1_status(doc: dict[str, object], name: str, rule: str) -> str:
    credentials = doc["credentials"]
    findings = doc["findings"]
    assert isinstance(credentials, list) and isinstance(findings, list)
    cid = next(c["id"] for c in credentials if c["tenant"] == "sandbox-c1" and c["name"] == name)
    statuses = [f["status"] for f in findings if f["credential_id"] == cid and f["rule_id"] == rule]
    return statuses[0] if statuses else "pass"


@pytest.mark.parametrize("refused", [False, True])
def test_tenant_allow_lists_over_loopback(
    sandbox: Sandbox, settings_refused_sandbox: Sandbox, tmp_path: Path, refused: bool
) -> None:
    """Issue 13: a key restricted only by the tenant's allow list passes no-source-restriction;
    with the session settings refused it is manual, and coverage says why."""
    server = settings_refused_sandbox if refused else sandbox
    config, env_file = server.write_config(tmp_path)
    out = tmp_path / "out"
    args = [*ARGS, "-c", str(config), "-o", str(out), "--fail-on", "never"]
    result = CliRunner().invoke(cli, args, env=read_env(env_file))
    assert result.exit_code == 0, result.output
    doc = load(json.loads((out / "results.json").read_text()))
    name = "admin full, tenant allow list only"
    expected = "manual" if refused else "pass"
    assert _c1_status(doc, name, "no-source-restriction") == expected
    assert _c1_status(doc, "HR-terminated owner", "inactive-owner") == "fail"
    assert _c1_status(doc, "break-glass owner, full", "privileged-access") == "fail"
    notes = next(c["notes"] for c in doc["coverage"] if c["tenant"] == "sandbox-c1")
    assert any("SessionSettingsService.Get" in n for n in notes) is refused
