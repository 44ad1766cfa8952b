from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.app.runs import exit_code_for
from auditor.cli import cli, parse_as_of
from auditor.kernel.errors import UsageError
from auditor.kernel.model import (
    Evaluation,
    Finding,
    ScanInfo,
    ScanResult,
    TenantCoverage,
    ToolInfo,
    fingerprint,
)

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2026, 11, 24, tzinfo=UTC)


def result_with(statuses: list[str], findings: list[tuple[str, str]]) -> ScanResult:
    coverage = tuple(
        TenantCoverage(tenant=f"t{i}", provider="sailpoint", status=s)
        for i, s in enumerate(statuses)
    )
    from auditor.kernel.model import scan_status

    return ScanResult(
        tool=ToolInfo(version="0"),
        scan=ScanInfo(
            id="x", started_at=AS_OF, finished_at=AS_OF, as_of=AS_OF, status=scan_status(coverage)
        ),
        coverage=coverage,
        credentials=(),
        evaluation=Evaluation(
            findings=tuple(
                Finding(
                    rule_id="stale",
                    status=status,
                    severity=severity,
                    provider="sailpoint",
                    tenant="t0",
                    credential_id=f"c{i}",
                    message="m",
                    fingerprint=fingerprint("t0", f"c{i}", "stale"),
                )
                for i, (status, severity) in enumerate(findings)
            )
        ),
    )


@pytest.mark.parametrize(
    ("statuses", "findings", "fail_on", "code"),
    [
        (["complete"], [], "high", 0),
        (["complete"], [("fail", "medium")], "high", 0),
        (["complete"], [("fail", "high")], "high", 1),
        (["complete"], [("fail", "critical")], "high", 1),
        (["complete"], [("waived", "critical")], "high", 0),
        (["complete"], [("manual", "critical")], "high", 0),
        (["complete"], [("not_applicable", "critical")], "info", 0),
        (["complete"], [("fail", "info")], "info", 1),
        (["complete"], [("fail", "critical")], "never", 0),
        (["complete", "failed"], [], "high", 3),
        (["complete", "failed"], [("fail", "critical")], "high", 3),
        (["partial"], [("fail", "critical")], "never", 3),
    ],
)
def test_exit_code_for_each_branch(
    statuses: list[str], findings: list[tuple[str, str]], fail_on: str, code: int
) -> None:
    assert exit_code_for(result_with(statuses, findings), fail_on) == code


def test_parse_as_of() -> None:
    assert parse_as_of("2026-11-24") == AS_OF
    assert parse_as_of("2026-11-24T01:00:00+01:00") == AS_OF
    with pytest.raises(UsageError, match="no time zone offset"):
        parse_as_of("2026-11-24T00:00:00")


def test_validate_example_lists_every_missing_variable() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", "-c", str(ROOT / "config.example.yaml")], env={})
    assert result.exit_code == 2
    for var in ("C1_CLIENT_ID", "C1_CLIENT_SECRET", "SAIL_CLIENT_ID", "SAIL_CLIENT_SECRET"):
        assert f"environment variable {var} is not set" in result.output


def test_validate_example_passes_with_well_formed_credentials(tmp_path: Path) -> None:
    from providers.conductorone import ConductorOneSimulator

    sim = ConductorOneSimulator(anchor=AS_OF)
    client_id, secret = sim.mint_client()
    env = {
        "C1_CLIENT_ID": client_id,
        "C1_CLIENT_SECRET": secret,
        "SAIL_CLIENT_ID": "0123456789abcdef0123456789abcdef",
        "SAIL_CLIENT_SECRET": "x" * 64,
    }
    result = CliRunner().invoke(cli, ["validate", "-c", str(ROOT / "config.example.yaml")], env=env)
    assert result.exit_code == 0, result.output
    assert "valid; 2 tenant(s)" in result.output
    assert secret not in result.output


def test_missing_config_is_usage_error() -> None:
    result = CliRunner().invoke(cli, ["scan", "-c", "/nonexistent/c.yaml"])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_bad_as_of_is_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["scan", "-c", "x.yaml", "--as-of", "tomorrow"])
    assert result.exit_code == 2
    assert "--as-of" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "-c", "x.yaml"],
        ["demo", "-o", "out"],
        ["scan", "--from-inventory", "results.json"],
    ],
)
@pytest.mark.parametrize("when", ["9999-12-31T23:59:59+00:00", "0001-01-01"])
def test_as_of_out_of_range_is_a_usage_error_up_front(
    args: list[str], when: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: 9999-12-31 failed with OverflowError only after the whole scan."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results.json").write_text("{}")
    result = CliRunner().invoke(cli, [*args, "--as-of", when])
    assert result.exit_code == 2, result.output
    assert "--as-of" in result.output and "out of range" in result.output
    assert not (tmp_path / "out").exists()


def test_unreachable_tenant_exits_3_and_reports_failed(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        """
tenants:
  - name: down
    provider: sailpoint
    base_url: http://127.0.0.1:9
    client_id: 0123456789abcdef0123456789abcdef
    client_secret_env: S
    http: {max_retries: 0, connect_timeout: 2}
"""
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["-q", "scan", "-c", str(config), "-o", str(out), "-f", "json"], env={"S": "hunter2"}
    )
    assert result.exit_code == 3, result.output
    assert "down (sailpoint): failed" in result.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["scan"]["status"] == "incomplete"
    assert doc["coverage"][0]["status"] == "failed"
    assert "hunter2" not in (out / "results.json").read_text()


def test_unknown_tenant_filter_is_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "tenants:\n  - {name: a, provider: sailpoint, base_url: 'http://127.0.0.1:9', "
        "client_id: x, client_secret_env: S}\n"
    )
    result = CliRunner().invoke(
        cli, ["scan", "-c", str(config), "-f", "json", "--tenant", "b"], env={"S": "s"}
    )
    assert result.exit_code == 2
    assert "--tenant b: no such tenant" in result.output


def test_python_dash_m_auditor() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "credaudit, version" in proc.stdout


def test_unwritable_output_is_a_usage_error_not_findings(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(
        cli, ["-q", "demo", "-o", str(blocker / "sub"), "--as-of", "2026-11-24"]
    )
    assert result.exit_code == 2, result.output
    assert "credaudit: error: Not a directory" in result.output


def test_internal_error_exits_3_not_1(monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.cli.simulation

    def boom(value: str | None) -> datetime:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(auditor.cli.simulation, "parse_as_of", boom)
    result = CliRunner().invoke(cli, ["demo", "-o", "x"])
    assert result.exit_code == 3
    assert "internal error (RuntimeError)" in result.output


def test_summary_counts_failures_by_severity_and_manual_apart() -> None:
    result = result_with(
        ["complete"], [("fail", "critical"), ("manual", "critical"), ("waived", "high")]
    )
    summary = result.summary
    assert summary["findings"] == 1
    assert summary["by_severity"]["critical"] == 1
    assert (summary["manual"], summary["waived"]) == (1, 1)


def test_scan_result_round_trips_through_its_own_dump() -> None:
    result = result_with(["complete"], [("fail", "high")])
    again = ScanResult.model_validate_json(result.model_dump_json())
    assert again == result
    assert again.summary == result.summary


def test_write_outputs_withholds_a_secret_instead_of_writing_it(tmp_path: Path) -> None:
    from auditor.app.runs import write_outputs
    from auditor.kernel.withhold import WITHHELD_NOTE

    result = result_with(["complete"], [("fail", "high")])
    leaked = result.model_copy(
        update={"coverage": (result.coverage[0].model_copy(update={"error": "x hunter2hunter2"}),)}
    )
    written = write_outputs(
        leaked, tmp_path / "out", ["json", "markdown"], secrets=["hunter2hunter2"]
    )
    for path in written:
        assert "hunter2" not in path.read_text().lower()
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["coverage"][0]["error"] == "x [withheld: matched a secret]"
    assert WITHHELD_NOTE in doc["coverage"][0]["notes"]  # the scan is kept, and says so
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.md", "results.json"]
    clean = write_outputs(result, tmp_path / "c", ["json"], secrets=["hunter2hunter2"])
    assert WITHHELD_NOTE not in clean[0].read_text()


def test_summary_new_counts_every_marked_finding_like_resolved() -> None:
    result = result_with(["complete"], [("fail", "high"), ("manual", "high"), ("waived", "low")])
    marked = result.model_copy(
        update={
            "evaluation": result.evaluation.model_copy(
                update={
                    "findings": tuple(
                        f.model_copy(update={"change": "new"}) for f in result.findings
                    )
                }
            )
        }
    )
    assert marked.summary["new"] == 3


def test_exit_codes_are_defined_once() -> None:
    """docs/architecture.md's exit codes live in ``auditor.kernel.errors``; the CLI and runs import
    them."""
    import auditor.app.runs as runs
    import auditor.cli as cli_package
    import auditor.cli.common as common
    from auditor.kernel import errors

    codes = (errors.EXIT_OK, errors.EXIT_FINDINGS, errors.EXIT_USAGE, errors.EXIT_INCOMPLETE)
    assert codes == (0, 1, 2, 3)
    for module in (common, cli_package, runs):
        for name in ("EXIT_OK", "EXIT_FINDINGS", "EXIT_USAGE", "EXIT_INCOMPLETE"):
            if hasattr(module, name):
                assert getattr(module, name) is getattr(errors, name)
    assert errors.ConfigError.exit_code == errors.EXIT_USAGE
    assert errors.ProviderError.exit_code == errors.EXIT_INCOMPLETE
