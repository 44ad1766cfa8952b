"""Configuration: ``load_config(path)`` reads, validates and resolves a credaudit YAML file.

Every problem is a ``ConfigError`` naming the file, the key path (``tenants[1].base_url``) and the
fix; all problems of a file are reported at once, so ``credaudit validate`` lists every missing
environment variable in one go. No message ever contains a configuration value that could be a
secret: pydantic's error inputs are never rendered, literal secrets are refused by key name, and
YAML syntax errors report only the line and column (PyYAML's context snippet would quote the file).

The ``policy`` and ``waivers`` sections are kept as raw data here and validated by ``policies``
(see ``auditor.app.engine.prepare``), which owns their schema.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from auditor.app.cron import cron_trigger
from auditor.kernel.errors import ConfigError
from auditor.kernel.inputfile import SECRET_LIMIT, check_regular, read_text
from auditor.kernel.model import Severity
from auditor.kernel.urls import UrlProblem, api_url_problem
from auditor.kernel.yamlfile import read_yaml_file
from providers.options import Options
from providers.registry import registry
from reports import FORMATS

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


def _shown_path(raw: Path, target: Path) -> str:
    """A ``*_file`` path for a message, unless it looks like a pasted secret rather than a path."""
    text = str(raw)
    if "/" in text or "." in text or target.exists():
        return str(target)
    return "the file named there (not shown: it does not look like a path; a pasted secret?)"


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
    max_records: PositiveInt = 50_000
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

    _env_names = field_validator("client_id_env", "client_secret_env")(_env_name)

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
    formats: tuple[FormatName, ...] = ("html", "markdown", "json", "csv")


class HistoryConfig(_Strict):
    database: Path = Path("credaudit.db")


class ScheduleConfig(_Strict):
    name: str = Field(pattern=TENANT_NAME_PATTERN)
    cron: str
    timezone: str = "UTC"
    keep_last: PositiveInt = 30
    misfire_grace_seconds: PositiveInt = 3600

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


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: SecretStr = field(repr=False)


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration with its secrets resolved (held as ``SecretStr``)."""

    path: Path
    config: AuditConfig
    credentials: Mapping[str, Credentials]
    webhook_url: SecretStr | None = field(default=None, repr=False)
    options: Mapping[str, Options] = field(default_factory=dict)
    """Tenant name → its vendor's own keys, validated by the vendor's ``options_model``."""

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve_path(self, value: Path) -> Path:
        """A path from the file, relative to the file's folder."""
        return value if value.is_absolute() else self.base_dir / value


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


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read, validate and resolve ``path``; raise one ``ConfigError`` listing every problem."""
    env = os.environ if env is None else env
    path = Path(path)
    file = str(path)
    raw = _read_yaml(path)
    problems = [*_secret_literals(raw), *_unknown_tenant_keys(raw)]
    try:
        config = AuditConfig.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_from_validation_error(exc, raw))
        config = None
    if config is None or problems:
        raise _combine(problems, file)
    loaded = LoadedConfig(path=path, config=config, credentials={})
    credentials: dict[str, Credentials] = {}
    options: dict[str, Options] = {}
    for index, tenant in enumerate(config.tenants):
        key = f"tenants[{index}]"
        vendor_options = _vendor_options(tenant, key, problems)
        if vendor_options is not None:
            options[tenant.name] = vendor_options
        has_id = any(getattr(tenant, k) for k in ("client_id", "client_id_env", "client_id_file"))
        client_id = (
            _resolve(tenant, "client_id", env, loaded, key, problems, secret=False)
            if has_id
            else ""  # a vendor whose credential is a single token (Provider.needs_client_id)
        )
        secret = _resolve(tenant, "client_secret", env, loaded, key, problems, secret=True)
        if tenant.ca_bundle is not None:
            try:
                check_regular(
                    loaded.resolve_path(tenant.ca_bundle), limit=SECRET_LIMIT * 64, what="file"
                )
            except ConfigError as exc:
                problems.append(
                    ConfigError(
                        f"ca_bundle file {tenant.ca_bundle}: {exc.message}",
                        key=f"{key}.ca_bundle",
                        fix="point it at a PEM file of your proxy's CA certificates",
                    )
                )
        if client_id is not None and secret is not None:
            credentials[tenant.name] = Credentials(client_id, SecretStr(secret))
    webhook: SecretStr | None = None
    if config.notify is not None:
        value = _resolve(config.notify, "webhook_url", env, loaded, "notify", problems, secret=True)
        webhook = SecretStr(value) if value is not None else None
    if problems:
        raise _combine(problems, file)
    return LoadedConfig(
        path=path, config=config, credentials=credentials, webhook_url=webhook, options=options
    )


def _vendor_options(tenant: TenantConfig, key: str, problems: list[ConfigError]) -> Options | None:
    """The tenant's keys beyond the common ones, validated by its vendor's model; problems are
    located at the tenant's key and name the vendor a misplaced key belongs to."""
    vendors = registry().providers
    model = vendors[tenant.provider].options_model
    try:
        return model.model_validate(tenant.model_extra or {})
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
    for err in errors:
        where = f"{key}.{_key_path(tuple(err['loc']))}"
        name = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] != "extra_forbidden" or len(err["loc"]) != 1:
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(ConfigError(message, key=where))
            continue
        if name in SECRET_KEYS:
            continue  # already reported by _secret_literals, with the right fix
        owners = sorted(v for v, cls in vendors.items() if name in cls.options_model.model_fields)
        if owners:
            problems.append(
                ConfigError(
                    f"{name} applies to {', '.join(owners)} tenants only",
                    key=where,
                    fix=f"remove it from this {tenant.provider} tenant",
                )
            )
            continue
        # a key no vendor has: _unknown_tenant_keys reported it already
    return None


def _unknown_tenant_keys(raw: Mapping[str, Any]) -> list[ConfigError]:
    """Tenant keys that are neither common nor any vendor's own: reported with a suggestion,
    whether or not the rest of the entry validates (a misspelt ``provider`` included)."""
    tenants = raw.get("tenants") if isinstance(raw, Mapping) else None
    if not isinstance(tenants, list):
        return []
    vendor_keys = {
        k for cls in registry().providers.values() for k in cls.options_model.model_fields
    }
    valid = sorted({*TenantConfig.model_fields, *vendor_keys})
    problems = []
    for index, tenant in enumerate(tenants):
        if not isinstance(tenant, Mapping):
            continue
        for name in tenant:
            if str(name) in valid or str(name) in SECRET_KEYS:
                continue
            close = difflib.get_close_matches(str(name), valid, n=1)
            fix = f"did you mean {close[0]!r}?" if close else "remove it"
            problems.append(
                ConfigError(
                    "unknown key",
                    key=f"tenants[{index}].{name}",
                    fix=f"{fix} Valid keys here: {', '.join(valid)}",
                )
            )
    return problems


def _combine(problems: list[ConfigError], file: str) -> ConfigError:
    located = [p.located(file) for p in problems]
    if len(located) == 1:
        return located[0]
    return ConfigError(f"{file}: {len(located)} configuration problems", problems=located)


def _resolve(
    section: BaseModel,
    name: str,
    env: Mapping[str, str],
    loaded: LoadedConfig,
    key: str,
    problems: list[ConfigError],
    *,
    secret: bool,
) -> str | None:
    """The value of ``name`` from its literal, ``*_env`` or ``*_file`` key."""
    literal = getattr(section, name, None)
    if isinstance(literal, str):
        return literal
    var = getattr(section, f"{name}_env", None)
    if isinstance(var, str):
        value = env.get(var)
        if not value:
            what = "secret" if secret else "value"
            problems.append(
                ConfigError(
                    f"environment variable {var} is not set",
                    key=f"{key}.{name}_env",
                    fix=f"export {var}=<the {what}> before running credaudit",
                )
            )
            return None
        return value.strip()
    file = getattr(section, f"{name}_file", None)
    if isinstance(file, Path):
        target = loaded.resolve_path(file)
        try:
            value = read_text(target, limit=SECRET_LIMIT, what="file").strip()
        except ConfigError as exc:
            problems.append(
                ConfigError(
                    f"cannot read {_shown_path(file, target)}: {exc.message}",
                    key=f"{key}.{name}_file",
                    fix=exc.fix or "check the path and that credaudit may read it",
                )
            )
            return None
        if not value:
            problems.append(
                ConfigError(f"{_shown_path(file, target)} is empty", key=f"{key}.{name}_file")
            )
            return None
        return value
    return None


def _read_yaml(path: Path) -> dict[str, Any]:
    data = read_yaml_file(path)
    if not isinstance(data, dict):
        raise ConfigError(
            "the file must be a YAML mapping with at least a `tenants:` list",
            file=str(path),
            fix="start from config.example.yaml",
        )
    return data


def _secret_literals(raw: Mapping[str, Any]) -> list[ConfigError]:
    """Refuse secrets written in the file, by key name, without ever echoing the value."""
    found: list[ConfigError] = []
    sections: list[tuple[str, Any]] = [("notify", raw.get("notify"))]
    tenants = raw.get("tenants")
    if isinstance(tenants, list):
        sections.extend((f"tenants[{i}]", t) for i, t in enumerate(tenants))
    for key, section in sections:
        if not isinstance(section, dict):
            continue
        for name in sorted(SECRET_KEYS & set(section)):
            base = "client_secret" if name in ("client_secret", "secret", "password") else name
            found.append(
                ConfigError(
                    "secrets must not be written in the configuration file",
                    key=f"{key}.{name}",
                    fix=f"remove it; set {base}_env to the name of an environment variable "
                    f"holding it, or {base}_file to a file containing it",
                )
            )
    return found


def _from_validation_error(exc: ValidationError, raw: Mapping[str, Any]) -> list[ConfigError]:
    problems = []
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc
            for other in errors
        ):
            continue  # "no tenants" only because each one failed: the item errors say why
        if err["type"] == "extra_forbidden" and str(loc[-1]) in SECRET_KEYS:
            continue  # already reported by _secret_literals, with the right fix
        key = _key_path(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            valid = _valid_keys(loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
            fix = f"did you mean {close[0]!r}?" if close else "remove it"
            fix += f" Valid keys here: {', '.join(valid)}" if valid else ""
            problems.append(ConfigError("unknown key", key=key, fix=fix))
        elif kind == "too_short" and loc == ("tenants",):
            problems.append(
                ConfigError(
                    "at least one tenant is required",
                    key=key,
                    fix="add a tenant entry (see config.example.yaml)",
                )
            )
        elif kind == "missing":
            problems.append(ConfigError("required key is missing", key=key, fix="add it"))
        elif kind == "string_pattern_mismatch":
            problems.append(
                ConfigError(
                    "invalid name",
                    key=key,
                    fix="use 1-64 letters, digits, '.', '_' or '-'; start with a letter or digit",
                )
            )
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(ConfigError(message, key=key or None))
    return problems


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after[_valid_cron(), ScheduleConfig]",):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _valid_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The field names allowed at ``loc`` (for "did you mean" hints)."""
    model: Any = AuditConfig
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        model = _model_in(fields[part].annotation)
    fields = getattr(model, "model_fields", None)
    return sorted(fields) if fields else []


def _model_in(annotation: Any) -> Any:
    """The BaseModel class inside ``X``, ``X | None`` or ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
