"""The exception tree of credaudit.

Library code raises these; only ``auditor.cli`` turns them into messages and exit codes.
Every class carries the exit code the CLI uses for it (docs/architecture.md, "Exit codes")::

    AuditorError                      exit 2
    ├── ConfigError                   exit 2  bad configuration: file, key path, fix
    ├── UsageError                    exit 2  bad command-line usage
    ├── HistoryError                  exit 2  the scan history database cannot be used
    ├── EvidenceError                 exit 2  an evidence bundle is unreadable or fails verification
    └── ProviderError                 exit 3  a tenant could not be collected
        ├── TransportError                    connect/read timeout, DNS, TLS
        │   └── SlowResponseError             a response still arriving at response_timeout
        ├── ResponseError                     the vendor answered with an error status
        │   ├── AuthError                     401, or the token endpoint refused us
        │   ├── PermissionDeniedError         403
        │   ├── NotFoundError                 404
        │   ├── RateLimitedError              429 and retries exhausted
        │   ├── ClientRequestError            any other 4xx
        │   └── ServerError                   5xx and retries exhausted
        ├── ResponseFormatError               a success status with an unreadable body
        ├── PaginationError                   a repeated page token or too many pages
        └── DeadlineError                     the tenant's total time (http.tenant_timeout) ran out

``auditor.kernel.http`` is the one place that maps httpx errors and HTTP statuses onto this tree
(``raise ... from exc``). Messages never contain a secret or a bearer token: they are built from
the method, the URL path and the vendor's own error text, never from request headers or bodies.
"""

from __future__ import annotations

from collections.abc import Sequence

# The exit codes (docs/architecture.md "Exit codes"), stated once: the CLI and ``auditor.app.runs``
# import them. 3 wins over 1: an incomplete population cannot give the whole story.
EXIT_OK = 0
"""A complete scan with nothing at or above ``--fail-on``."""
EXIT_FINDINGS = 1
"""Unwaived findings at or above ``--fail-on``."""
EXIT_USAGE = 2
"""A usage, configuration, history or evidence error."""
EXIT_INCOMPLETE = 3
"""The scan is incomplete: a tenant failed or was collected only partially."""


class AuditorError(Exception):
    """Root of every error credaudit raises on purpose."""

    exit_code: int = EXIT_USAGE


class ConfigError(AuditorError):
    """A configuration problem, located by file and key path, with the fix.

    One error may carry several problems (``problems``) so that a user sees every missing
    environment variable at once instead of one per run.
    """

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        fix: str | None = None,
        problems: Sequence[ConfigError] = (),
    ) -> None:
        self.message = message
        self.file = file
        self.key = key
        self.fix = fix
        self.problems: tuple[ConfigError, ...] = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if self.problems:
            lines = [self.message]
            lines.extend(f"  - {p.describe()}" for p in self.problems)
            return "\n".join(lines)
        return self.describe()

    def describe(self) -> str:
        where = ": ".join(part for part in (self.file, self.key) if part)
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f" (fix: {self.fix})"
        return text

    def located(self, file: str | None, key_prefix: str | None = None) -> ConfigError:
        """The same problem, placed in ``file`` under ``key_prefix``."""
        key = self.key
        if key_prefix:
            key = f"{key_prefix}.{key}" if key else key_prefix
        return ConfigError(
            self.message,
            file=self.file or file,
            key=key,
            fix=self.fix,
            problems=[p.located(file, key_prefix) for p in self.problems],
        )


class UsageError(AuditorError):
    """The command line was used wrongly."""

    exit_code = EXIT_USAGE


class HistoryError(AuditorError):
    """The scan history database could not be read or written."""

    exit_code = EXIT_USAGE


class EvidenceError(AuditorError):
    """An evidence bundle could not be written, read or verified."""

    exit_code = EXIT_USAGE


class ProviderError(AuditorError):
    """A vendor tenant could not be collected (completely)."""

    exit_code = EXIT_INCOMPLETE

    def __init__(self, message: str, *, tenant: str | None = None) -> None:
        self.message = message
        self.tenant = tenant
        super().__init__(f"{tenant}: {message}" if tenant else message)


class TransportError(ProviderError):
    """The request never got an HTTP answer (timeout, refused connection, DNS, TLS)."""


class SlowResponseError(TransportError):
    """A response still arriving at ``http.response_timeout``: not retried (it would drip again)."""


class ResponseError(ProviderError):
    """The vendor answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        tenant: str | None = None,
        status_code: int,
        vendor_message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.vendor_message = vendor_message
        self.retry_after = retry_after
        """Seconds the vendor asked us to wait (``Retry-After``), when it said."""
        super().__init__(message, tenant=tenant)


class AuthError(ResponseError):
    """401, or the token endpoint refused the credential."""


class PermissionDeniedError(ResponseError):
    """403: the credential is valid but lacks a right."""


class NotFoundError(ResponseError):
    """404."""


class RateLimitedError(ResponseError):
    """429, still after every retry."""


class ClientRequestError(ResponseError):
    """Another 4xx: the request itself was wrong."""


class ServerError(ResponseError):
    """5xx, still after every retry."""


class ResponseFormatError(ProviderError):
    """A success status whose body is not what the vendor's API documents."""


class PaginationError(ProviderError):
    """A pagination loop: a repeated page token, or more pages than the guard allows."""


class DeadlineError(ProviderError):
    """The tenant's total deadline (``http.tenant_timeout``) ran out, or a wait would pass it."""
