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
    c1_id, c1_secret = sim.tenant("conductorone").simulator.mint_client("admin")
    sp_id, sp_secret = sim.tenant("sailpoint").simulator.mint_client("remediation")
    env |= {
        "REM_C1_ID": c1_id,
        "REM_C1_SECRET": c1_secret,
        "REM_SP_ID": sp_id,
        "REM_SP_SECRET": sp_secret,
    }
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
    return [
        r
        for r in [
            *sim.tenant("conductorone").simulator.received,
            *sim.tenant("sailpoint").simulator.received,
        ]
        if r[0] in ("DELETE", "PATCH")
    ]


def test_plan_approve_dry_run_execute_resolve(sandbox: Sandbox, tmp_path: Path) -> None:
    config, env = setup(sandbox, tmp_path)
    plan_file = tmp_path / "plan.json"
    made = run(
        ["remediate", "plan", "-c", str(config), "--as-of", "2026-11-24", "-o", str(plan_file)], env
    )
    assert made.exit_code == 0, made.output
    plan = json.loads(plan_file.read_text())
    revokes = [a for a in plan["actions"] if a["action"] == "revoke"]
    assert revokes, made.output
    assert all(a["findings"] and a["credential_fingerprint"] for a in revokes)
    managed = {
        c["id"]
        for c in sandbox.simulation.tenant("sailpoint").simulator.ground_truth()
        if c.get("managed")
    }
    assert managed and not {a["credential_id"] for a in plan["actions"]} & managed
    # not approved: refused
    refused = run(["remediate", "apply", str(plan_file), "-c", str(config)], env)
    assert refused.exit_code == 2 and "not approved" in refused.output
    approved = run(["remediate", "approve", str(plan_file), "--approver", "grc@example.com"], env)
    assert approved.exit_code == 0, approved.output

    before = (
        list(writes(sandbox)),
        len(sandbox.simulation.tenant("conductorone").simulator.received),
    )
    before_all = len(sandbox.simulation.tenant("conductorone").simulator.received) + len(
        sandbox.simulation.tenant("sailpoint").simulator.received
    )
    dry = run(["remediate", "apply", str(plan_file), "-c", str(config)], env)
    assert dry.exit_code == 0, dry.output
    assert "DRY RUN" in dry.output
    for action in revokes:
        assert "DELETE " in dry.output and action["request"]["path"] in dry.output
    after_all = len(sandbox.simulation.tenant("conductorone").simulator.received) + len(
        sandbox.simulation.tenant("sailpoint").simulator.received
    )
    assert after_all == before_all  # not one request reached either server
    assert writes(sandbox) == before[0]

    done = run(
        [
            "remediate",
            "apply",
            str(plan_file),
            "-c",
            str(config),
            "--execute",
            "--receipts",
            str(tmp_path / "r.zip"),
        ],
        env,
    )
    assert done.exit_code == 0, done.output
    gone_c1 = {c["id"] for c in sandbox.simulation.tenant("conductorone").simulator.ground_truth()}
    gone_sp = {c["id"] for c in sandbox.simulation.tenant("sailpoint").simulator.ground_truth()}
    for action in revokes:
        assert action["credential_id"] not in (gone_c1 | gone_sp)
    assert all(
        c["id"] not in sandbox.simulation.tenant("sailpoint").simulator.deleted
        for c in [{"id": m} for m in managed]
    )
    sent = writes(sandbox)
    assert len(sent) == len(revokes)

    again = run(
        [
            "remediate",
            "apply",
            str(plan_file),
            "-c",
            str(config),
            "--execute",
            "--receipts",
            str(tmp_path / "r2.zip"),
        ],
        env,
    )
    assert again.exit_code == 0, again.output
    assert writes(sandbox) == sent  # the second execute sent no write
    assert "already-gone" in again.output

    for name in ("REM_C1_SECRET", "REM_SP_SECRET", "CREDAUDIT_SANDBOX_ISC_CLIENT_SECRET"):
        assert env[name] not in done.output + again.output
        assert env[name].encode() not in (tmp_path / "r.zip").read_bytes()
    from auditor.app.remediatelog import RemediationLog

    with RemediationLog(tmp_path / "history.db") as log:
        recorded = log.receipts(plan["plan_id"])
    assert [r["result"] for r in recorded] == ["done"] * len(revokes) + ["already-gone"] * len(
        revokes
    )
    ok = run(["verify", str(tmp_path / "r.zip")], env)
    assert ok.exit_code == 0, ok.output
    with zipfile.ZipFile(tmp_path / "r.zip") as archive:
        receipts = json.loads(archive.read("receipts.json"))
    assert {r["result"] for r in receipts} == {"done"}
    assert all(r["status"] in (200, 204) and r["time"] for r in receipts)

    scan = run(
        [
            "scan",
            "-c",
            str(config),
            "-f",
            "json",
            "-o",
            str(tmp_path / "out"),
            "--as-of",
            "2026-11-24",
            "--fail-on",
            "never",
        ],
        env,
    )
    assert scan.exit_code == 0, scan.output
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    resolved = {(r["tenant"], r["credential_id"]) for r in doc["resolved"]}
    assert {(a["tenant"], a["credential_id"]) for a in revokes} <= resolved


BROAD = """
    - rules: [full-owner-access, no-expiry]
      action: revoke
      grace_days: 0
"""


def make_approved(config: Path, env: dict[str, str], plan_file: Path, *more: str) -> dict[str, Any]:
    made = run(
        ["remediate", "plan", "-c", str(config), "--as-of", "2026-11-24", "-o", str(plan_file)], env
    )
    assert made.exit_code == 0, made.output
    approved = run(["remediate", "approve", str(plan_file), "--approver", "Ann", *more], env)
    assert approved.exit_code == 0, approved.output
    plan: dict[str, Any] = json.loads(plan_file.read_text())
    return plan


def test_managed_pats_are_never_touched(sandbox: Sandbox, tmp_path: Path) -> None:
    config, env = setup(sandbox, tmp_path)
    config.write_text(
        config.read_text().replace("      grace_days: 30\n", "      grace_days: 30\n" + BROAD)
    )
    plan_file = tmp_path / "plan.json"
    plan = make_approved(config, env, plan_file)
    managed = {
        c["id"]
        for c in sandbox.simulation.tenant("sailpoint").simulator.ground_truth()
        if c.get("managed")
    }
    excluded = {e["credential_id"]: e["reason"] for e in plan["excluded"]}
    flagged = managed & set(excluded)  # a Workflow PAT with full-owner-access: listed, not acted
    assert flagged and all("never touched" in excluded[m] for m in flagged)
    assert not managed & {a["credential_id"] for a in plan["actions"]}
    done = run(["remediate", "apply", str(plan_file), "-c", str(config), "--execute"], env)
    assert done.exit_code == 0, done.output
    assert managed <= {
        c["id"] for c in sandbox.simulation.tenant("sailpoint").simulator.ground_truth()
    }
    deleted = {path.rsplit("/", 1)[1] for method, path in writes(sandbox) if method == "DELETE"}
    assert deleted and not deleted & managed


def test_tampered_and_stale_plans_are_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    config, env = setup(sandbox, tmp_path)
    plan_file = tmp_path / "plan.json"
    plan = make_approved(config, env, plan_file)
    original = plan_file.read_text()
    # one action's credential swapped after approval
    first = plan["actions"][1]["credential_id"]
    plan_file.write_text(original.replace(first, first[:-1] + "x", 1))
    edited = run(["remediate", "apply", str(plan_file), "-c", str(config), "--execute"], env)
    assert edited.exit_code == 2
    assert "edited after approval" in edited.output
    # an extra action appended (removing one is an edit too)
    plan["actions"] = plan["actions"][:-1]
    plan_file.write_text(json.dumps(plan))
    shorter = run(["remediate", "apply", str(plan_file), "-c", str(config)], env)
    assert shorter.exit_code == 2 and "edited after approval" in shorter.output
    # stale: created more than plan_max_age_hours (24) ago, then approved as it is
    old = json.loads(original)
    old["created_at"] = "2020-01-01T00:00:00Z"
    old["approval"] = None
    plan_file.write_text(json.dumps(old))
    assert run(["remediate", "approve", str(plan_file), "--approver", "Ann"], env).exit_code == 0
    stale = run(["remediate", "apply", str(plan_file), "-c", str(config), "--execute"], env)
    assert stale.exit_code == 2 and "the plan is stale" in stale.output
    assert writes(sandbox) == []  # nothing was ever sent


def test_changed_or_deleted_since_the_plan(sandbox: Sandbox, tmp_path: Path) -> None:
    config, env = setup(sandbox, tmp_path)
    plan_file = tmp_path / "plan.json"
    plan = make_approved(config, env, plan_file)
    c1 = [a for a in plan["actions"] if a["action"] == "revoke" and a["tenant"] == "sandbox-c1"]
    sp = [a for a in plan["actions"] if a["action"] == "revoke" and a["tenant"] == "sandbox-isc"]
    sim = sandbox.simulation
    # someone uses one C1 client again, and deletes one PAT in the vendor's UI
    for record in sim.tenant("conductorone").simulator.data.clients:
        if record["id"] == c1[0]["credential_id"]:
            record["lastUsedAt"] = "2026-11-25T08:00:00Z"
    sim.tenant("sailpoint").simulator.delete_out_of_band(sp[0]["credential_id"])
    done = run(
        [
            "remediate",
            "apply",
            str(plan_file),
            "-c",
            str(config),
            "--execute",
            "--receipts",
            str(tmp_path / "r.zip"),
        ],
        env,
    )
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(tmp_path / "r.zip") as archive:
        receipts = {r["credential_id"]: r for r in json.loads(archive.read("receipts.json"))}
    in_use = receipts[c1[0]["credential_id"]]
    assert (in_use["result"], in_use["sent"]) == ("skipped", False)
    assert "now in use" in in_use["detail"]
    assert c1[0]["credential_id"] in {
        c["id"] for c in sim.tenant("conductorone").simulator.ground_truth()
    }
    gone = receipts[sp[0]["credential_id"]]
    assert (gone["result"], gone["sent"]) == ("already-gone", False)
    sent = {path.rsplit("/", 1)[1] for _, path in writes(sandbox)}
    assert c1[0]["credential_id"] not in sent and sp[0]["credential_id"] not in sent


def test_signed_approval_and_receipts(sandbox: Sandbox, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    (tmp_path / "sign.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "trusted.pub").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    other = Ed25519PrivateKey.generate()
    (tmp_path / "other.pem").write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    extra = "evidence:\n  signing_key_file: sign.pem\n"
    config, env = setup(sandbox, tmp_path, extra)
    config.write_text(
        config.read_text().replace(
            "  plan_max_age_hours: 24\n",
            "  plan_max_age_hours: 24\n  public_key_file: trusted.pub\n",
        )
    )
    plan_file = tmp_path / "plan.json"
    make_approved(config, env, plan_file)  # unsigned
    unsigned = run(["remediate", "apply", str(plan_file), "-c", str(config)], env)
    assert unsigned.exit_code == 2 and "not signed" in unsigned.output
    # signed with another key: refused
    other_config = tmp_path / "other.yaml"
    other_config.write_text(config.read_text().replace("sign.pem", "other.pem"))
    run(
        [
            "remediate",
            "approve",
            str(plan_file),
            "--approver",
            "Mallory",
            "--sign",
            "-c",
            str(other_config),
        ],
        env,
    )
    wrong = run(["remediate", "apply", str(plan_file), "-c", str(config)], env)
    assert wrong.exit_code == 2 and "signature is not valid" in wrong.output
    signed = run(
        ["remediate", "approve", str(plan_file), "--approver", "Ann", "--sign", "-c", str(config)],
        env,
    )
    assert signed.exit_code == 0, signed.output
    receipts = tmp_path / "r.zip"
    done = run(
        [
            "remediate",
            "apply",
            str(plan_file),
            "-c",
            str(config),
            "--execute",
            "--receipts",
            str(receipts),
        ],
        env,
    )
    assert done.exit_code == 0, done.output
    assert "signature by key" in done.output
    good = run(["verify", str(receipts), "--public-key", str(tmp_path / "trusted.pub")], env)
    assert good.exit_code == 0, good.output
    assert "authenticity checked" in good.output
    # one byte changed in receipts.json (stored, so the byte is in the archive as written)
    files = {}
    with zipfile.ZipFile(receipts) as archive:
        for name in archive.namelist():
            files[name] = archive.read(name)
    files["receipts.json"] = files["receipts.json"].replace(b'"done"', b'"dona"', 1)
    from auditor.app.evidence import write_zip

    tampered = tmp_path / "tampered.zip"
    write_zip(tampered, files)
    bad = run(["verify", str(tampered)], env)
    assert bad.exit_code == 2
    assert "altered: receipts.json" in bad.output


def test_demo_shows_a_plan_and_a_dry_run(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run(["demo", "--remediation", "-o", str(out), "--as-of", "2026-11-24"], {})
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "remediation-plan.json").read_text())
    revokes = [a for a in plan["actions"] if a["action"] == "revoke"]
    assert revokes and "DRY RUN" in result.output
    for action in revokes:
        assert "DELETE https://demo." in result.output
        assert action["request"]["path"] in result.output


def test_plan_from_saved_results_keeps_first_seen(sandbox: Sandbox, tmp_path: Path) -> None:
    config, env = setup(sandbox, tmp_path)
    out = tmp_path / "out"
    scan = run(
        [
            "scan",
            "-c",
            str(config),
            "-f",
            "json",
            "-o",
            str(out),
            "--as-of",
            "2026-11-24",
            "--fail-on",
            "never",
        ],
        env,
    )
    assert scan.exit_code == 0, scan.output
    plan_file = tmp_path / "plan.json"
    made = run(
        [
            "remediate",
            "plan",
            "-c",
            str(config),
            "--from-results",
            str(out / "results.json"),
            "-o",
            str(plan_file),
        ],
        {},
    )  # no secret needed
    assert made.exit_code == 0, made.output
    plan = json.loads(plan_file.read_text())
    assert plan["scan"]["as_of"] == "2026-11-24T00:00:00Z"
    revokes = [a for a in plan["actions"] if a["action"] == "revoke"]
    assert revokes and all(f["first_seen"] for a in revokes for f in a["findings"])
    assert sandbox.simulation.tenant("sailpoint").simulator.deleted == set()


def test_only_the_vendor_operation_is_ever_sent(sandbox: Sandbox, tmp_path: Path) -> None:
    """A plan edited to send another request, then approved again, still sends nothing."""
    config, env = setup(sandbox, tmp_path)
    plan_file = tmp_path / "plan.json"
    plan = make_approved(config, env, plan_file)
    target = next(a for a in plan["actions"] if a["action"] == "revoke")
    victim = sandbox.simulation.tenant("conductorone").simulator.ground_truth()[0]["id"]
    target["request"]["path"] = f"/api/v1/iam/personal_clients/{victim}"
    plan["approval"] = None
    plan["actions"] = [target]
    plan_file.write_text(json.dumps(plan))
    assert run(["remediate", "approve", str(plan_file), "--approver", "Ann"], env).exit_code == 0
    done = run(["remediate", "apply", str(plan_file), "-c", str(config), "--execute"], env)
    assert done.exit_code == 0, done.output
    assert "not the vendor operation" in done.output
    assert writes(sandbox) == []
