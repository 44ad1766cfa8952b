"""Webhook notifications: body, Slack escaping, triggers, retries, and no URL in any log line."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from auditor.app.notify import (
    Notifier,
    NotifyError,
    RunReport,
    build_message,
    check_webhook_url,
    reasons,
    slack_escape,
)
from auditor.kernel.errors import ConfigError
from auditor.kernel.model import (
    Evaluation,
    Finding,
    ScanInfo,
    ScanResult,
    TenantCoverage,
    ToolInfo,
    fingerprint,
)

AS_OF = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TOKEN_PATH = "/services/T0AUDIT/B0AUDIT/s3cr3tT0kenValue"
TENANT_SECRET = "tenant-client-secret-value-123"


def finding(
    rule: str, severity: str, cred: str, *, change: str | None = "new", status: str = "fail"
) -> Finding:
    return Finding(
        rule_id=rule,
        status=status,
        severity=severity,
        provider="conductorone",
        tenant="acme",
        credential_id=cred,
        credential_name=f"name-{cred}",
        owner_name="Ada",
        message=f"{rule} on {cred}",
        fingerprint=fingerprint("acme", cred, rule),
        change=change,
    )


def result_of(findings: list[Finding], *, failed_tenant: str | None = None) -> ScanResult:
    coverage = [TenantCoverage(tenant="acme", provider="conductorone", status="complete")]
    if failed_tenant is not None:
        coverage.append(
            TenantCoverage(
                tenant=failed_tenant, provider="sailpoint", status="failed", error=failed_tenant
            )
        )
    return ScanResult(
        tool=ToolInfo(version="0"),
        scan=ScanInfo(
            id="scan-1",
            started_at=AS_OF,
            finished_at=AS_OF,
            as_of=AS_OF,
            status="incomplete" if failed_tenant else "complete",
        ),
        coverage=tuple(coverage),
        credentials=(),
        evaluation=Evaluation(findings=tuple(findings)),
    )


def report_of(result: ScanResult | None, status: str | None = None) -> RunReport:
    return RunReport(
        schedule="nightly",
        status=status or (result.scan.status if result else "failed"),
        run="20261124T020000Z",
        started_at=AS_OF,
        duration_seconds=1.5,
        result=result,
        error=None if result else "boom",
    )


class Recorder:
    """A real HTTP server on 127.0.0.1:0 that records each POST and answers ``statuses``."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.statuses = statuses or []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                recorder.bodies.append(json.loads(self.rfile.read(length)))
                recorder.headers.append(dict(self.headers))
                recorder.paths.append(self.path)
                status = recorder.statuses.pop(0) if recorder.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{TOKEN_PATH}"

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder() as server:
        yield server


def test_loopback_webhook_receives_the_expected_body(recorder: Recorder) -> None:
    result = result_of(
        [
            finding("stale", "high", "c3"),
            finding("privileged-access", "critical", "c2"),
            finding("expired", "low", "c4"),  # below min_severity: not listed
            finding("no-expiry", "high", "c1", change="persisting"),  # not new
            finding("inactive-owner", "critical", "c5", status="waived"),  # not failing
        ]
    )
    sleeps: list[float] = []
    notifier = Notifier(SecretStr(recorder.url), min_severity="high", sleep=sleeps.append)
    assert notifier.notify(report_of(result)) is True
    assert sleeps == []
    assert recorder.paths == [TOKEN_PATH]
    assert recorder.headers[0]["Content-Type"] == "application/json; charset=utf-8"
    body = recorder.bodies[0]
    assert set(body) == {
        "text",
        "scan",
        "summary",
        "new_findings",
        "new_findings_total",
        "min_severity",
        "reasons",
        "coverage",
    }
    assert body["scan"] == {
        "schedule": "nightly",
        "run": "20261124T020000Z",
        "status": "complete",
        "started_at": "2026-11-24T02:00:00Z",
        "duration_seconds": 1.5,
        "error": None,
        "id": "scan-1",
        "as_of": "2026-11-24T02:00:00Z",
    }
    assert body["new_findings"] == [
        {
            "rule_id": "privileged-access",
            "severity": "critical",
            "tenant": "acme",
            "credential_id": "c2",
            "credential_name": "name-c2",
            "owner_name": "Ada",
            "message": "privileged-access on c2",
        },
        {
            "rule_id": "stale",
            "severity": "high",
            "tenant": "acme",
            "credential_id": "c3",
            "credential_name": "name-c3",
            "owner_name": "Ada",
            "message": "stale on c3",
        },
    ]
    assert body["new_findings_total"] == 2
    assert body["reasons"] == ["new findings at or above high"]
    assert body["summary"]["findings"] == 4
    assert body["summary"]["new"] == 4  # every marked finding, the waived one too (as "resolved")
    assert body["summary"]["by_severity"] == {
        "critical": 1,
        "high": 2,
        "medium": 0,
        "low": 1,
        "info": 0,
    }
    assert body["coverage"] == [
        {
            "tenant": "acme",
            "provider": "conductorone",
            "status": "complete",
            "credential_count": 0,
            "error": None,
        }
    ]
    assert body["text"].splitlines() == [
        "credaudit schedule *nightly*: run complete, 2 new finding(s) at or above high",
        "0 credential(s) in 1 tenant(s); 4 failing (1 critical, 2 high, 1 low); 3 of them new",
        "• critical `privileged-access` acme / name-c2 (owner Ada): privileged-access on c2",
        "• high `stale` acme / name-c3 (owner Ada): stale on c3",
        "Reports: run 20261124T020000Z",
    ]


def test_no_message_for_a_complete_run_without_new_findings_at_threshold(
    recorder: Recorder,
) -> None:
    result = result_of(
        [finding("expired", "low", "c1"), finding("stale", "high", "c2", change=None)]
    )
    notifier = Notifier(SecretStr(recorder.url), min_severity="high")
    assert reasons(report_of(result), "high") == []
    assert notifier.notify(report_of(result)) is False
    assert recorder.bodies == []
    assert reasons(report_of(result), "low") == ["new findings at or above low"]


def test_failed_and_incomplete_runs_are_notified(recorder: Recorder) -> None:
    notifier = Notifier(SecretStr(recorder.url))
    assert notifier.notify(report_of(None)) is True
    assert notifier.notify(report_of(result_of([], failed_tenant="isc"))) is True
    failed, incomplete = recorder.bodies
    assert failed["reasons"] == ["run failed"]
    assert failed["summary"] == {}
    assert failed["coverage"] == []
    assert failed["scan"]["error"] == "boom"
    assert failed["text"].splitlines()[:2] == [
        "credaudit schedule *nightly*: run failed",
        "Error: boom",
    ]
    assert incomplete["reasons"] == ["run incomplete"]
    assert "Tenant isc failed: isc" in incomplete["text"].splitlines()


def test_vendor_strings_cannot_inject_slack_mentions_or_links() -> None:
    evil = finding("stale", "high", "c1").model_copy(
        update={
            "credential_name": "<!channel> & <https://evil.example|click>",
            "owner_name": "<@U123>",
            "message": "line1\nline2 <!here>",
        }
    )
    text = build_message(report_of(result_of([evil])), "high")["text"]
    bullet = text.splitlines()[2]
    assert bullet == (
        "• high `stale` acme / &lt;!channel&gt; &amp; &lt;https:\u2060//evil.example|click&gt; "
        "(owner &lt;@U123&gt;): line1 line2 &lt;!here&gt;"
    )
    assert "<" not in text and ">" not in text
    assert slack_escape("a" * 400, 10) == "aaaaaaaaaa…"
    # no bare URL or domain Slack would turn into a link
    assert "://" not in slack_escape("see https://evil.example/x")
    assert "www." not in slack_escape("www.evil.example")


def test_transient_failures_are_retried_with_backoff_and_retry_after() -> None:
    answers = [503, 429, 200]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = answers.pop(0)
        headers = {"Retry-After": "7"} if status == 429 else {}
        return httpx.Response(status, headers=headers)

    sleeps: list[float] = []
    notifier = Notifier(
        SecretStr("https://hooks.example.com" + TOKEN_PATH),
        sleep=sleeps.append,
        jitter=lambda: 1.0,  # the top of the kernel client's equal-jitter range [d/2, d]
        transport=httpx.MockTransport(handler),
    )
    assert notifier.notify(report_of(None)) is True
    assert len(seen) == 3
    assert sleeps == [1.0, 7.0]  # exponential backoff, then the vendor's Retry-After


def test_a_permanent_error_is_not_retried_and_never_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404)

    sleeps: list[float] = []
    notifier = Notifier(
        SecretStr("https://hooks.example.com" + TOKEN_PATH),
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )
    with caplog.at_level(logging.DEBUG):
        assert notifier.notify(report_of(None)) is False
    assert calls == [1]
    assert sleeps == []
    assert "notification not delivered: webhook answered HTTP 404" in caplog.text


def test_an_unreachable_webhook_logs_neither_url_nor_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Recorder() as closed:
        url = closed.url  # the port is closed once the server stops
    sleeps: list[float] = []
    notifier = Notifier(SecretStr(url), sleep=sleeps.append, jitter=lambda: 1.0, attempts=3)
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="httpx"):
        assert notifier.notify(report_of(None)) is False
    assert sleeps == [1.0, 2.0]
    assert "notification not delivered: webhook unreachable (ConnectError)" in caplog.text
    assert url not in caplog.text
    assert "s3cr3tT0kenValue" not in caplog.text
    assert "s3cr3tT0kenValue" not in repr(notifier)


def test_the_httpx_request_log_line_is_redacted(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(SecretStr(recorder.url))
    # as with `credaudit -v`, which lets httpx log each request at INFO
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="httpx"):
        assert notifier.notify(report_of(None)) is True
    assert any(r.name == "httpx" for r in caplog.records)  # httpx did log the request …
    assert "s3cr3tT0kenValue" not in caplog.text  # … without the token
    assert "[redacted webhook]" in caplog.text


def test_configured_secrets_never_leave_in_a_message(recorder: Recorder) -> None:
    notifier = Notifier(SecretStr(recorder.url), secrets=[TENANT_SECRET])
    report = RunReport(
        "nightly", "failed", "r", AS_OF, 0.0, None, error=f"auth failed with {TENANT_SECRET}"
    )
    assert notifier.notify(report) is True
    raw = json.dumps(recorder.bodies[0])
    assert TENANT_SECRET not in raw
    assert recorder.bodies[0]["scan"]["error"] == "auth failed with [redacted]"


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example.com/x", "ftp://127.0.0.1/x", "not a url", "https:///token-path"],
)
def test_webhook_url_must_be_https_or_loopback(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_webhook_url(SecretStr(url))
    assert url not in str(caught.value)


def test_loopback_http_and_https_webhooks_are_accepted() -> None:
    check_webhook_url(SecretStr("http://127.0.0.1:9/hook"))
    check_webhook_url(SecretStr("https://hooks.slack.com/services/T/B/X"))


def test_the_webhook_goes_through_the_kernel_http_client() -> None:
    """Same stack as the providers: jittered backoff, HTTP-date Retry-After, no redirects."""
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "Tue, 24 Nov 2099 02:00:00 GMT"}),
        httpx.Response(302, headers={"Location": "https://elsewhere.example/collect"}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    sleeps: list[float] = []
    notifier = Notifier(
        SecretStr("https://hooks.example.com" + TOKEN_PATH + "?k=v"),
        sleep=sleeps.append,
        jitter=lambda: 0.0,
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(NotifyError) as caught:
        notifier.send({"text": "x"})
    assert str(caught.value) == "webhook answered HTTP 302"  # the redirect is not followed
    assert len(seen) == 3
    assert sleeps == [0.5, 60.0]  # bottom of the jitter range; an HTTP date, capped at 60 s
    assert all(str(r.url) == "https://hooks.example.com" + TOKEN_PATH + "?k=v" for r in seen)
    assert seen[0].headers["User-Agent"].startswith("credaudit/")
    assert json.loads(seen[0].content) == {"text": "x"}
    assert "s3cr3tT0kenValue" not in repr(caught.value.__context__)
