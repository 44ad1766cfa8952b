"""Issue 17's command-line rough edges, each held by a test that failed before the fix (or, for the
three fixed earlier, a test that shows the fix holds)."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.app.configmodel import OutputConfig
from auditor.app.history import History
from auditor.app.sandbox import Faults, Sandbox, Simulation
from auditor.cli import cli
from auditor.cli.logsetup import configure_logging
from auditor.kernel.model import (
    Credential,
    Evaluation,
    Finding,
    ScanInfo,
    ScanResult,
    TenantCoverage,
    ToolInfo,
    fingerprint,
)
from reports import FORMATS

ROOT = Path(__file__).resolve().parents[2]
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
def owner_lookup_refused() -> Iterator[Sandbox]:
    yield from serve(Faults.parse("deny-owner-lookup"))


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line)
    return {name: value.strip("'") for name, value in pairs}


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    configure_logging(verbose=False, quiet=False)


# -- fixed before this branch: shown to hold -------------------------------------------------


def test_a_closed_pipe_is_not_a_usage_error() -> None:
    # `credaudit rules | head -1`: the reader leaves; before, the command exited 2 (usage error)
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "rules"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read()
    assert proc.wait() == 141, err  # 128 + SIGPIPE, as a shell reports a writer the pipe closed
    assert err == b""


def test_the_sandbox_folder_is_git_ignored() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "sandbox/credaudit.env"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0  # the sandbox writes its simulated secrets there


def test_readme_stops_the_background_sandbox_with_kill() -> None:
    readme = (ROOT / "README.md").read_text()
    line = next(x for x in readme.splitlines() if "credaudit sandbox --write-config" in x)
    assert line.rstrip().endswith("&") or " & " in line
    assert "kill %1" in line and "Ctrl-C" not in line


# -- -q / -v after the subcommand ---------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_works_before_and_after_the_subcommand(tmp_path: Path, where: str) -> None:
    args = ["demo", "-o", str(tmp_path / "out"), "--as-of", "2026-11-24"]
    args = ["-q", *args] if where == "before" else [*args, "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    assert result.stderr == ""  # no progress, no INFO lines


def test_verbose_after_the_subcommand_turns_debug_on() -> None:
    result = CliRunner().invoke(cli, ["rules", "-v"])
    assert result.exit_code == 0, result.output
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG


# -- APScheduler's INFO lines ---------------------------------------------------------------


@pytest.mark.parametrize(("verbose", "shown"), [(False, False), (True, True)])
def test_apscheduler_info_lines_only_with_verbose(verbose: bool, shown: bool) -> None:
    # before: "Added job …", "Scheduler started" printed into `credaudit schedule` output
    configure_logging(verbose=verbose, quiet=False)
    assert logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.INFO) is shown
    assert logging.getLogger("credaudit").isEnabledFor(logging.INFO)


# -- default formats ------------------------------------------------------------------------


def test_default_config_writes_every_format_as_the_demo_does(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    assert OutputConfig().formats == tuple(FORMATS)
    config, env_file = sandbox.write_config(tmp_path)
    out = tmp_path / "out"
    args = ["-q", "scan", "-c", str(config), "-o", str(out), "--as-of", "2026-11-24"]
    result = CliRunner().invoke(cli, args, env=read_env(env_file))
    assert result.exit_code == 1, result.output
    demo = tmp_path / "demo"
    assert CliRunner().invoke(cli, ["-q", "demo", "-o", str(demo)]).exit_code in (0, 1)
    files = {p.name for p in out.iterdir()}
    assert "findings.ocsf.jsonl" in files
    assert files == {p.name for p in demo.iterdir()}


# -- validate --connect ---------------------------------------------------------------------


def test_validate_connect_never_says_complete_when_a_lookup_was_refused(
    owner_lookup_refused: Sandbox, tmp_path: Path
) -> None:
    config, env_file = owner_lookup_refused.write_config(tmp_path)
    result = CliRunner().invoke(
        cli, ["-q", "validate", "--connect", "-c", str(config)], env=read_env(env_file)
    )
    out = result.output
    assert result.exit_code == 3, out  # before: 0, and each tenant "complete"
    assert "sandbox-c1 (conductorone): INCOMPLETE permissions: owner-lookup" in out
    assert "sandbox-isc (sailpoint): INCOMPLETE permissions: owner-lookup" in out
    table = out.split("notes:", 1)[0]
    assert not re.search(r"\): complete", table)
    rows = {
        re.split(r"\s{2,}", line.strip())[0]: re.split(r"\s{2,}", line.strip())[1]
        for line in table.splitlines()
        if line.startswith("    ") and not line.strip().startswith("└")
    }
    assert rows["look up each client's owner"] == "REFUSED"
    assert rows["look up each PAT's owner"] == "REFUSED"
    assert rows["list every user's personal clients"] == "yes"
    assert rows["read the role catalogue (privileged roles)"] == "yes"
    assert rows["read the tenant-wide API-key allow lists"] == "yes"
    assert rows["list every PAT of the tenant (idn:all-personal-access-tokens:read)"] == "yes"
    assert "POST /api/v1/search/users (c1.api.user.v1.UserSearch.Search)" in table
    assert "GET /v3/public-identities (getPublicIdentities)" in table


def test_validate_connect_on_a_healthy_tenant(sandbox: Sandbox, tmp_path: Path) -> None:
    config, env_file = sandbox.write_config(tmp_path)
    result = CliRunner().invoke(
        cli, ["-q", "validate", "--connect", "-c", str(config)], env=read_env(env_file)
    )
    assert result.exit_code == 0, result.output
    assert "sandbox-c1 (conductorone): every permission the scan needs worked" in result.output
    assert "sandbox-isc (sailpoint): every permission the scan needs worked" in result.output
    assert "REFUSED" not in result.output and "FAILED" not in result.output
    # the list showed managed PATs: the right is proven, not "not confirmed"
    assert "not confirmed" not in result.output


# -- diff: most severe first, with names ------------------------------------------------------


def _finding(cred: str, name: str, rule: str, severity: str) -> Finding:
    return Finding(
        rule_id=rule,
        status="fail",
        severity=severity,
        provider="sailpoint",
        tenant="t1",
        credential_id=cred,
        credential_name=name,
        message="m",
        fingerprint=fingerprint("t1", cred, rule),
    )


def _scan(day: int, findings: list[Finding]) -> ScanResult:
    when = AS_OF + timedelta(days=day)
    cov = (TenantCoverage(tenant="t1", provider="sailpoint", status="complete"),)
    caps = {"network_restriction": False, "expiry": True, "last_used": True}
    return ScanResult(
        tool=ToolInfo(version="0"),
        scan=ScanInfo(
            id=f"scan{day:04d}", started_at=when, finished_at=when, as_of=when, status="complete"
        ),
        coverage=cov,
        credentials=(Credential(provider="sailpoint", tenant="t1", id="x", capabilities=caps),),
        evaluation=Evaluation(findings=tuple(findings)),
    )


def test_diff_lists_the_most_severe_first_with_credential_names(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    new = [
        _finding("a1", "alpha", "expiring-soon", "low"),
        _finding("a2", "", "never-used", "medium"),
        _finding("z9", "zulu key", "inactive-owner", "critical"),
        _finding("b1", "bravo", "stale", "high"),
    ]
    with History(db) as history:
        history.record(_scan(1, []))
        history.record(_scan(2, new))
    result = CliRunner().invoke(cli, ["diff", "--database", str(db)])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.startswith("  new ")]
    assert [r[1] for r in rows] == ["critical", "high", "medium", "low"]
    assert "t1/zulu key (z9)" in result.output
    assert "t1/a2" in result.output  # no name: the id alone


# -- no raw enum values in messages ---------------------------------------------------------


def test_messages_use_words_not_enum_values(tmp_path: Path) -> None:
    out = tmp_path / "out"
    CliRunner().invoke(cli, ["-q", "demo", "-o", str(out), "--as-of", "2026-11-24"])
    text = (out / "findings.csv").read_text()
    assert " is not_found" not in text
    assert "explicit scopes)" not in text
    assert "was not found (no such user in the vendor's directory)" in text
    assert re.search(
        r"holds every permission of its owner \((no scope set|\d+ scopes? listed)", text
    )


# -- a failed tenant --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def failing() -> Iterator[Sandbox]:
    yield from serve(Faults.parse("error-503=1.0,burst-503=2:2"))


def test_a_failed_tenant_is_named_once_and_attempts_do_not_contradict(
    failing: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, env_file = failing.write_config(tmp_path)
    text = config.read_text().replace(
        "    provider: sailpoint\n", "    provider: sailpoint\n    http: {max_retries: 2}\n", 1
    )
    config.write_text(text)
    out = tmp_path / "out"
    args = ["scan", "-c", str(config), "-o", str(out), "-f", "json", "--tenant", "sandbox-isc"]
    result = CliRunner().invoke(cli, args, env=read_env(env_file))
    assert result.exit_code == 3, result.output
    logged = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    for line in logged + [x for x in result.output.splitlines() if "sandbox-isc" in x]:
        assert line.count("sandbox-isc") <= 1, line  # before: "sandbox-isc: …: sandbox-isc: GET …"
    (line,) = logged
    # the tenant's totals and the one request's attempts are told apart, not as "N retries …
    # (after M attempts)" side by side
    assert re.search(r"sandbox-isc: failed; \d+ requests in all, \d+ of them retries", line)
