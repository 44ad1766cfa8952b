"""The configuration's schema (``auditor.app.config``): the pydantic models of a credaudit YAML
file, from ``AuditConfig`` down to ``TenantConfig``, ``HttpConfig`` and the output, history,
schedule, notify and evidence sections, with their own checks (``check_base_url``, environment
variable names, known providers and formats, cron expressions, unique names)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from auditor.app.cron import cron_trigger
from auditor.app.remediateconfig import RemediationConfig
from auditor.kernel.model import Severity
from auditor.kernel.urls import UrlProblem, api_url_problem
from providers.registry import registry
from reports import FORMATS

__all__ = [
    "ENV_NAME",
    "FORMAT_NAMES",
    "SECRET_KEYS",
    "TENANT_NAME_PATTERN",
    "AuditConfig",
    "EvidenceConfig",
    "FormatName",
    "HistoryConfig",
    "HttpConfig",
    "NotifyConfig",
    "OutputConfig",
    "RateLimitConfig",
    "ScheduleConfig",
    "TenantConfig",
    "check_base_url",
]

FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)
"""The output format names, as registered in ``reports.FORMATS`` (the one source)."""
SECRET_KEYS = frozenset(
    {"client_secret", "secret", "password", "token", "access_token", "api_key", "webhook_url"}
)
TENANT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _env_name(value: str | None) -> str | None:
    """A ``*_env`` value must be a variable NAME; a pasted secret must not be echoed back."""
    if value is not None and not ENV_NAME.match(value):
        raise ValueError(
            "not a valid environment variable name (letters, digits and _); did you paste the "
            "value itself? It is not shown here. Put the NAME of the variable holding it"
        )
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_max_length=4096)


class RateLimitConfig(_Strict):
    requests: PositiveInt
    per_seconds: PositiveFloat


class HttpConfig(_Strict):
    """Per-tenant HTTP tuning; every key is optional."""

    connect_timeout: PositiveFloat = 10.0
    read_timeout: PositiveFloat = 30.0
    max_concurrency: PositiveInt = 8
    max_retries: int = Field(4, ge=0, le=10)
    retry_after_cap: PositiveFloat = 60.0
    max_pages: PositiveInt = 10_000
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    response_timeout: PositiveFloat = 120.0
    tenant_timeout: PositiveFloat = 1800.0
    max_empty_pages: PositiveInt = 3
    max_records: PositiveInt = 250_000
    rate_limit: RateLimitConfig | None = None


class TenantConfig(_Strict):
    """The keys every tenant has. A vendor's own keys (``Provider.options_model``) are kept aside
    here (``extra="allow"``) and validated by ``_vendor_options`` with that vendor's model."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False, str_max_length=4096)

    name: str = Field(pattern=TENANT_NAME_PATTERN)
    provider: str
    client_id: str | None = None
    client_id_env: str | None = None
    client_id_file: Path | None = None
    client_secret_env: str | None = None
    client_secret_file: Path | None = None
    base_url: str | None = None
    api_version: str | None = None
    ca_bundle: Path | None = None
    http: HttpConfig = HttpConfig()
    remediation_client_id: str | None = None
    remediation_client_id_env: str | None = None
    remediation_client_id_file: Path | None = None
    remediation_client_secret_env: str | None = None
    remediation_client_secret_file: Path | None = None
    """``credaudit remediate``'s own credential (write rights), never the scanning one."""
    remediation_identity: str | None = None
    """The vendor identity id that credential acts as (SailPoint ``narrow-scope``: only a PAT's
    owner may change its scope)."""

    _env_names = field_validator(
        "client_id_env",
        "client_secret_env",
        "remediation_client_id_env",
        "remediation_client_secret_env",
    )(_env_name)

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        known = registry()
        if value in known.load_errors:
            raise ValueError(
                f"provider {value!r} is a plug-in that could not be loaded: "
                f"{known.load_errors[value]}"
            )
        if value not in known.providers:
            raise ValueError(
                f"unknown provider {value!r}; use one of: {', '.join(sorted(known.providers))}"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _safe_base_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)

    @model_validator(mode="after")
    def _one_source_each(self) -> TenantConfig:
        ids = [k for k in ("client_id", "client_id_env", "client_id_file") if getattr(self, k)]
        vendor = registry().providers.get(self.provider)
        needed = vendor is None or vendor.needs_client_id  # a single-token vendor needs none
        if len(ids) > 1 or (needed and not ids):
            raise ValueError(
                f"set {'exactly' if needed else 'at most'} one of client_id, client_id_env, "
                "client_id_file" + (f" (found {', '.join(ids)})" if ids else "")
            )
        secrets = [k for k in ("client_secret_env", "client_secret_file") if getattr(self, k)]
        if len(secrets) != 1:
            raise ValueError(
                "set exactly one of client_secret_env (an environment variable name) or "
                "client_secret_file (a file path)"
                + (f" (found {', '.join(secrets)})" if secrets else "")
            )
        return self


def _known_format(name: str) -> str:
    if name not in FORMATS:
        raise ValueError(f"unknown format; use one of {', '.join(FORMATS)}")
    return name


FormatName = Annotated[str, AfterValidator(_known_format)]
"""A name registered in ``reports.FORMATS``."""


class OutputConfig(_Strict):
    dir: Path = Path("reports")
    formats: tuple[FormatName, ...] = ("html", "markdown", "json", "csv", "ocsf", "oscal")
    """Every format by default, as ``credaudit demo`` writes them (docs/architecture.md "Output
    files"): before, a default scan wrote no OCSF file while the demo did."""


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class HistoryConfig(_Strict):
    """``database``: a SQLite file (relative to the configuration's folder) or a PostgreSQL URL
    without a password; the password comes from ``password_env`` or ``password_file`` (or
    libpq's own ``PGPASSWORD`` / ``~/.pgpass``)."""

    database: str = "credaudit.db"
    password_env: str | None = None
    password_file: Path | None = None

    _env_names = field_validator("password_env")(_env_name)

    @property
    def is_postgres(self) -> bool:
        return self.database.startswith(POSTGRES_SCHEMES)

    @model_validator(mode="after")
    def _no_password_in_url(self) -> HistoryConfig:
        if self.is_postgres:
            from urllib.parse import urlsplit

            try:
                parts = urlsplit(self.database)
                has_password = parts.password is not None
                _ = parts.port
            except ValueError:
                raise ValueError(
                    "not a valid PostgreSQL URL; write postgresql://USER@HOST:PORT/DATABASE"
                ) from None
            if has_password or "password=" in parts.query:
                raise ValueError(
                    "the URL holds a password (not shown here); remove it and set "
                    "history.password_env or history.password_file instead"
                )
        elif self.password_env or self.password_file:
            raise ValueError("password_env / password_file only apply to a postgresql:// database")
        if self.password_env and self.password_file:
            raise ValueError("set at most one of password_env or password_file")
        return self


class ScheduleConfig(_Strict):
    name: str = Field(pattern=TENANT_NAME_PATTERN)
    cron: str
    timezone: str = "UTC"
    keep_last: PositiveInt = 30
    misfire_grace_seconds: PositiveInt = 3600
    lease_seconds: PositiveInt = 900
    """How long a run's lease in the history database lasts unless renewed (every third of it):
    after a host dies mid-scan, another may run the schedule once this much time has passed."""

    @model_validator(mode="after")
    def _valid_cron(self) -> ScheduleConfig:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {self.timezone!r}; use an IANA name such as UTC or Europe/Paris"
            ) from exc
        # crontab semantics (0 and 7 = Sunday, 1-5 = Monday-Friday), which APScheduler's own
        # from_crontab does not give
        try:
            cron_trigger(self.cron, zone)
        except ValueError as exc:
            raise ValueError(
                f"invalid cron expression {self.cron!r} ({exc}); use five fields: "
                "minute hour day-of-month month day-of-week, e.g. '0 2 * * *'"
            ) from exc
        return self


class NotifyConfig(_Strict):
    webhook_url_env: str | None = None
    webhook_url_file: Path | None = None
    min_severity: Severity = "high"
    timeout_seconds: PositiveFloat = 10.0

    _env_names = field_validator("webhook_url_env")(_env_name)


class EvidenceConfig(_Strict):
    signing_key_file: Path | None = None


class AuditConfig(_Strict):
    tenants: tuple[TenantConfig, ...] = Field(min_length=1)
    policy: dict[str, Any] | None = None
    waivers: str | list[dict[str, Any]] | None = None
    output: OutputConfig = OutputConfig()
    history: HistoryConfig = HistoryConfig()
    schedules: tuple[ScheduleConfig, ...] = ()
    notify: NotifyConfig | None = None
    evidence: EvidenceConfig | None = None
    remediation: RemediationConfig | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> AuditConfig:
        for kind, names in (
            ("tenant", [t.name for t in self.tenants]),
            ("schedule", [s.name for s in self.schedules]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(
                    f"duplicate {kind} name(s): {', '.join(dupes)}; names must be unique"
                )
        return self


def check_base_url(value: str) -> str:
    """https for anything; http only for loopback (docs/architecture.md "Configuration")."""
    problem = api_url_problem(value.strip())
    if problem is UrlProblem.NOT_HTTP_URL:
        raise ValueError("base_url must be a full URL such as https://acme.example.com")
    parts = urlsplit(value.strip())
    if parts.username or parts.password:
        raise ValueError("base_url must not contain credentials (user:password@)")
    if parts.query or parts.fragment:
        raise ValueError("base_url must not contain a query string or fragment")
    if problem is UrlProblem.PLAIN_HTTP:
        raise ValueError(
            "http:// is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); "
            "use https:// (add ca_bundle for a TLS-intercepting proxy)"
        )
    return value.strip().rstrip("/")
