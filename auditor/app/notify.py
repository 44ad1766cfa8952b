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

Which runs deserve a message and what it says are in ``auditor.app.notifymessage`` (importable
from here too); this module delivers it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from auditor.app.config import LoadedConfig
from auditor.app.notifymessage import (
    TOP_FINDINGS,
    RunReport,
    build_message,
    new_findings,
    reasons,
    slack_escape,
)
from auditor.app.notifymessage import _text as _text
from auditor.kernel.errors import ConfigError, ResponseError, TransportError
from auditor.kernel.http import ApiClient, HttpSettings
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.urls import UrlProblem, api_url_problem

__all__ = [
    "TOP_FINDINGS",
    "Notifier",
    "NotifyError",
    "RunReport",
    "build_message",
    "check_webhook_url",
    "new_findings",
    "reasons",
    "slack_escape",
]

logger = logging.getLogger("credaudit.notify")


class NotifyError(Exception):
    """The webhook could not be delivered; the message never names the URL."""


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
