from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from auditor.app.engine import NullProgress
from auditor.app.progress import LiveProgress, LogProgress, make_progress
from auditor.kernel.model import TenantCoverage


def test_plain_lines_when_not_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    progress = make_progress(quiet=False)  # pytest's stderr is not a terminal
    assert isinstance(progress, LogProgress)
    assert isinstance(make_progress(quiet=True), NullProgress)
    with caplog.at_level(logging.INFO, logger="credaudit.scan"):
        progress.tenant_started("acme", "sailpoint")
        progress.tenant_finished(
            TenantCoverage(
                tenant="acme",
                provider="sailpoint",
                status="failed",
                credential_count=0,
                requests=3,
                retries=2,
                error="GET /v3/personal-access-tokens returned HTTP 403",
            )
        )
    assert caplog.messages[0] == "acme: collecting (sailpoint)"
    assert caplog.messages[1] == (
        "acme: failed; 3 requests in all, 2 of them retries, 0.0s: "
        "GET /v3/personal-access-tokens returned HTTP 403"
    )
    assert caplog.records[1].levelno == logging.ERROR


def test_live_table_tracks_each_tenant() -> None:
    buffer = io.StringIO()
    progress = LiveProgress(console=Console(file=buffer, force_terminal=True, width=120))
    progress.tenant_started("a", "conductorone")
    progress.tenant_update("a", 250, 11, 1)
    assert (progress.rows["a"].collected, progress.rows["a"].requests) == (250, 11)
    progress.tenant_finished(
        TenantCoverage(tenant="a", provider="conductorone", status="complete", credential_count=300)
    )
    assert progress.live is None  # stopped once every tenant finished
    assert "300" in buffer.getvalue()
