"""``credaudit diff`` prints vendor credential ids: no terminal escape may reach the terminal
(a regression test: an OSC ``ESC]0;…BEL`` once survived colour stripping)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from auditor.app.history import History
from auditor.cli import cli
from auditor.kernel.model import ScanResult, fingerprint
from tests.reports.conftest import replace

EVIL = "pc-1\x1b]0;owned\x07\x1b[8m\u202ehidden"


def later_with_evil_ids(result: ScanResult) -> ScanResult:
    findings = tuple(
        replace(f, credential_id=EVIL, fingerprint=fingerprint(f.tenant, EVIL, f.rule_id))
        if f.status in ("fail", "manual")
        else f
        for f in result.evaluation.findings
    )
    scan = replace(
        result.scan, id=result.scan.id[:-4] + "late", as_of=result.scan.as_of + timedelta(days=1)
    )
    return replace(result, scan=scan, evaluation=replace(result.evaluation, findings=findings))


def test_diff_never_prints_terminal_controls(curated: ScanResult, tmp_path: Path) -> None:
    database = tmp_path / "h.db"
    with History(database) as db:
        db.record(curated)
        db.record(later_with_evil_ids(curated))
    run = CliRunner().invoke(cli, ["diff", "--database", str(database)])
    assert run.exit_code == 0, run.output
    assert "new" in run.output and "pc-1" in run.output
    assert not any(c in run.output for c in "\x1b\x07\u202e"), repr(run.output[-300:])
