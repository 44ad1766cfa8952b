"""Webhook notifications after scheduled runs (docs/architecture.md "Scheduled compliance scans").

One JSON message per run that has *new* failing findings at or above ``notify.min_severity`` or
that did not complete. The body is generic JSON with a Slack-compatible ``text`` so the same URL
works for a Slack incoming webhook and for any JSON consumer.

Why the care:
- The webhook URL is a secret (a Slack URL's path *is* its token). It never appears in a log line
  or an exception message; httpx's own request log line is redacted by a logging filter.
- Vendor strings (credential names, owner names, messages) are untrusted: in ``text`` they are
  escaped the way Slack requires (``&``, ``<``, ``>``) so they cannot inject ``<!channel>``
  mentions or ``<url|label>`` links, and they are bounded and single-line.
- A notification is a side channel: failing to deliver it is logged and never fails the scan.
- It is sent by the kernel's one HTTP client (``auditor.kernel.http.ApiClient``): the same
  timeouts, retries with backoff and jitter, ``Retry-After`` handling, no redirects, and the URL
  registered as a secret so no message of that client quotes it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr

from auditor.app.config import LoadedConfig
from auditor.kernel.errors import ConfigError, ResponseError, TransportError
from auditor.kernel.http import ApiClient, HttpSettings, clean_vendor_text
from auditor.kernel.model import SEVERITY_RANK, Finding, ScanResult
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.timestamps import format_timestamp
from auditor.kernel.urls import UrlProblem, api_url_problem

logger = logging.getLogger("credaudit.notify")

TOP_FINDINGS = 10


class NotifyError(Exception):
    """The webhook could not be delivered; the message never names the URL."""


@dataclass(frozen=True)
class RunReport:
    """What a notification says about one scheduled run (``result`` is None when it crashed)."""

    schedule: str
    status: str
    """``complete`` | ``partial`` | ``incomplete`` (the scan's status) or ``failed``."""
    run: str
    started_at: datetime
    duration_seconds: float
    result: ScanResult | None = None
    error: str | None = None


def slack_escape(text: str, limit: int = 300) -> str:
    """Untrusted text for Slack ``text``: single line, bounded, ``&<>`` escaped (Slack docs,
    "Escaping text": only these three are control characters in message text)."""
    cleaned = clean_vendor_text(text, limit=limit)
    cleaned = cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Slack auto-links bare URLs and domains: a zero-width joiner inside "://" and after "www"
    # keeps a vendor-supplied name from becoming a clickable link in the alert
    return cleaned.replace("://", ":\u2060//").replace("www.", "www\u2060.")


def new_findings(result: ScanResult, min_severity: str) -> list[Finding]:
    """New failing findings at or above ``min_severity``, most severe first, stable order."""
    threshold = SEVERITY_RANK[min_severity]
    picked = [
        f
        for f in result.findings
        if f.status == "fail" and f.change == "new" and SEVERITY_RANK[f.severity] >= threshold
    ]
    return sorted(
        picked, key=lambda f: (-SEVERITY_RANK[f.severity], f.tenant, f.rule_id, f.credential_id)
    )


def reasons(report: RunReport, min_severity: str) -> list[str]:
    """Why this run deserves a message; empty: no message."""
    why = []
    if report.status != "complete":
        why.append(f"run {report.status}")
    if report.result is not None and new_findings(report.result, min_severity):
        why.append(f"new findings at or above {min_severity}")
    return why


def build_message(report: RunReport, min_severity: str, top: int = TOP_FINDINGS) -> dict[str, Any]:
    """The JSON body: ``text`` (Slack mrkdwn) plus structured ``scan``, ``summary``,
    ``new_findings`` (top ``top``) and ``coverage``. Facts only, never a secret."""
    result = report.result
    fresh = new_findings(result, min_severity) if result is not None else []
    scan: dict[str, Any] = {
        "schedule": report.schedule,
        "run": report.run,
        "status": report.status,
        "started_at": format_timestamp(report.started_at),
        "duration_seconds": round(report.duration_seconds, 3),
        "error": report.error,
    }
    if result is not None:
        scan.update(id=result.scan.id, as_of=format_timestamp(result.scan.as_of))
    shown = [
        {
            "rule_id": f.rule_id,
            "severity": f.severity,
            "tenant": f.tenant,
            "credential_id": f.credential_id,
            "credential_name": f.credential_name,
            "owner_name": f.owner_name,
            "message": f.message,
        }
        for f in fresh[:top]
    ]
    coverage = [
        {
            "tenant": c.tenant,
            "provider": c.provider,
            "status": c.status,
            "credential_count": c.credential_count,
            "error": c.error,
        }
        for c in (result.coverage if result is not None else ())
    ]
    return {
        "text": _text(report, fresh, min_severity, top),
        "scan": scan,
        "summary": result.summary if result is not None else {},
        "new_findings": shown,
        "new_findings_total": len(fresh),
        "min_severity": min_severity,
        "reasons": reasons(report, min_severity),
        "coverage": coverage,
    }


def _text(report: RunReport, fresh: list[Finding], min_severity: str, top: int) -> str:
    e = slack_escape
    head = f"credaudit schedule *{e(report.schedule)}*: run {e(report.status)}"
    if fresh:
        head += f", {len(fresh)} new finding(s) at or above {e(min_severity)}"
    lines = [head]
    result = report.result
    if report.error:
        lines.append(f"Error: {e(report.error)}")
    if result is not None:
        s = result.summary
        by = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n)
        new_failing = sum(1 for f in result.findings if f.change == "new" and f.status == "fail")
        lines.append(
            f"{s['credentials']} credential(s) in {s['tenants']} tenant(s); "
            f"{s['findings']} failing ({by or 'none'}); {new_failing} of them new"
        )
        for f in fresh[:top]:
            who = f" (owner {e(f.owner_name, 80)})" if f.owner_name else ""
            lines.append(
                f"• {f.severity} `{e(f.rule_id, 64)}` {e(f.tenant, 64)} / "
                f"{e(f.credential_name or f.credential_id, 120)}{who}: {e(f.message)}"
            )
        if len(fresh) > top:
            lines.append(f"…and {len(fresh) - top} more in the run's reports")
        for c in result.coverage:
            if c.status != "complete":
                reason = f": {e(c.error)}" if c.error else ""
                lines.append(f"Tenant {e(c.tenant, 64)} {c.status}{reason}")
    lines.append(f"Reports: run {e(report.run)}")
    return "\n".join(lines)


class _UrlRedactor(logging.Filter):
    """Rewrites log records that quote a registered secret (httpx logs every request URL at
    INFO, and a webhook URL's path is its token)."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def register(self, values: Sequence[str]) -> None:
        with self._lock:
            self._secrets.update(v for v in values if len(v) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        if not secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in secrets:
            redacted = redacted.replace(secret, "[redacted webhook]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTOR = _UrlRedactor()
_REDACTED_LOGGERS = ("httpx", "httpcore")


def _url_forms(url: str) -> list[str]:
    """The URL as given, as httpx prints it, and its path and query (the token part)."""
    forms = [url]
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return forms
    forms.append(str(parsed))
    if len(parsed.path) > 1:
        forms.append(parsed.path)
        forms.append(parsed.raw_path.decode("ascii", "replace"))
    if parsed.query:
        forms.append(parsed.query.decode("ascii", "replace"))
    return forms


def check_webhook_url(url: SecretStr) -> None:
    """https, or http to loopback only (as ``base_url``): run results are sensitive."""
    text = url.get_secret_value()
    try:
        httpx.URL(text)  # must also be a URL the HTTP layer can send to
        problem = api_url_problem(text)
    except (httpx.InvalidURL, ValueError):
        problem = UrlProblem.NOT_HTTP_URL
    if problem is UrlProblem.NOT_HTTP_URL:
        raise ConfigError(
            "the webhook URL is not a full http(s) URL (not shown: it is a secret)",
            key="notify",
            fix="set it to the full https:// URL of the webhook",
        )
    if problem is UrlProblem.PLAIN_HTTP:
        raise ConfigError(
            "the webhook URL must use https:// (http:// only for loopback hosts)",
            key="notify",
            fix="use the https:// URL your chat or alerting system gives you",
        )


class Notifier:
    """Posts run messages to one webhook, with retries; ``notify`` never raises."""

    def __init__(
        self,
        url: SecretStr,
        *,
        min_severity: str = "high",
        timeout_seconds: float = 10.0,
        attempts: int = 4,
        top: int = TOP_FINDINGS,
        secrets: Sequence[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        check_webhook_url(url)
        self._url = url
        self.min_severity = min_severity
        self.timeout_seconds = timeout_seconds
        self.attempts = attempts
        self.top = top
        self._secrets = [*secrets, *_url_forms(url.get_secret_value())]
        self._sleep = sleep
        self._jitter = jitter
        self._transport = transport
        _REDACTOR.register(self._secrets)
        for name in _REDACTED_LOGGERS:
            target = logging.getLogger(name)
            if _REDACTOR not in target.filters:
                target.addFilter(_REDACTOR)

    def __repr__(self) -> str:
        return f"Notifier(url=**********, min_severity={self.min_severity!r})"

    @classmethod
    def from_config(cls, loaded: LoadedConfig, **kwargs: Any) -> Notifier | None:
        """The configured notifier, or None without ``notify`` or a webhook URL."""
        notify = loaded.config.notify
        if notify is None or loaded.webhook_url is None:
            return None
        secrets = [c.client_secret.get_secret_value() for c in loaded.credentials.values()]
        return cls(
            loaded.webhook_url,
            min_severity=notify.min_severity,
            timeout_seconds=notify.timeout_seconds,
            secrets=secrets,
            **kwargs,
        )

    def notify(self, report: RunReport) -> bool:
        """Send the run's message if it deserves one; True when one was delivered."""
        why = reasons(report, self.min_severity)
        if not why:
            return False
        try:
            self.send(build_message(report, self.min_severity, self.top))
        except NotifyError as exc:
            logger.warning("schedule %s: notification not delivered: %s", report.schedule, exc)
            return False
        except Exception as exc:  # noqa: BLE001 - a notification bug must never fail the run
            logger.warning(
                "schedule %s: notification not delivered (internal error %s)",
                report.schedule,
                type(exc).__name__,
            )
            return False
        logger.info("schedule %s: notification sent (%s)", report.schedule, "; ".join(why))
        return True

    def send(self, body: dict[str, Any]) -> None:
        """POST ``body`` through the kernel's HTTP client (its retries, backoff and capped
        ``Retry-After``); raise ``NotifyError`` when every attempt failed."""
        payload = self._redact(json.dumps(body, ensure_ascii=False)).encode()
        asyncio.run(self._post(payload))

    async def _post(self, payload: bytes) -> None:
        url = httpx.URL(self._url.get_secret_value())
        settings = HttpSettings(
            connect_timeout=self.timeout_seconds,
            read_timeout=self.timeout_seconds,
            max_retries=max(0, self.attempts - 1),
            backoff_base=1.0,
        )

        async def sleep(seconds: float) -> None:
            self._sleep(seconds)

        client = ApiClient(
            tenant="notify",
            base_url=f"{url.scheme}://{url.netloc.decode('ascii')}",
            settings=settings,
            transport=self._transport,
            sleep=sleep,
            jitter=self._jitter,
            secrets=SecretSet(self._secrets),
        )
        async with client:
            try:
                await client.request(
                    "POST",
                    str(url),
                    content=payload,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    retry=True,  # a repeated alert is better than a lost one
                    shown_as="webhook",
                )
            except ResponseError as exc:
                raise NotifyError(f"webhook answered HTTP {exc.status_code}") from None
            except TransportError as exc:
                # the class name only: httpx messages may quote the URL
                cause = type(exc.__cause__ or exc).__name__
                raise NotifyError(f"webhook unreachable ({cause})") from None

    def _redact(self, text: str) -> str:
        """A last guard: no configured secret leaves in a message, whatever put it there."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if len(secret) >= 8:
                text = text.replace(json.dumps(secret)[1:-1], "[redacted]")
        return text
