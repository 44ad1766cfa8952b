"""Configuration: ``load_config(path)`` reads, validates and resolves a credaudit YAML file.

Every problem is a ``ConfigError`` naming the file, the key path (``tenants[1].base_url``) and the
fix; all problems of a file are reported at once, so ``credaudit validate`` lists every missing
environment variable in one go. No message ever contains a configuration value that could be a
secret: pydantic's error inputs are never rendered, literal secrets are refused by key name, and
YAML syntax errors report only the line and column (PyYAML's context snippet would quote the file).

The ``policy`` and ``waivers`` sections are kept as raw data here and validated by ``policies``
(see ``auditor.app.engine.prepare``), which owns their schema.

The pydantic models and their checks are in ``auditor.app.configmodel``; the mapping of
validation errors and other problems onto located ``ConfigError``s is in
``auditor.app.configerrors``. Both are re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from auditor.app.configerrors import _combine as _combine
from auditor.app.configerrors import _from_validation_error as _from_validation_error
from auditor.app.configerrors import _key_path as _key_path
from auditor.app.configerrors import _model_in as _model_in
from auditor.app.configerrors import _secret_literals as _secret_literals
from auditor.app.configerrors import _unknown_tenant_keys as _unknown_tenant_keys
from auditor.app.configerrors import _valid_keys as _valid_keys
from auditor.app.configerrors import _vendor_options as _vendor_options
from auditor.app.configmodel import (
    ENV_NAME,
    FORMAT_NAMES,
    SECRET_KEYS,
    TENANT_NAME_PATTERN,
    AuditConfig,
    EvidenceConfig,
    FormatName,
    HistoryConfig,
    HttpConfig,
    NotifyConfig,
    OutputConfig,
    RateLimitConfig,
    ScheduleConfig,
    TenantConfig,
    check_base_url,
)
from auditor.app.configmodel import _env_name as _env_name
from auditor.app.configmodel import _known_format as _known_format
from auditor.app.configmodel import _Strict as _Strict
from auditor.kernel.errors import ConfigError
from auditor.kernel.inputfile import SECRET_LIMIT, check_regular, read_text
from auditor.kernel.yamlfile import read_yaml_file
from providers.options import Options

__all__ = [
    "ENV_NAME",
    "FORMAT_NAMES",
    "SECRET_KEYS",
    "TENANT_NAME_PATTERN",
    "AuditConfig",
    "Credentials",
    "EvidenceConfig",
    "FormatName",
    "HistoryConfig",
    "HttpConfig",
    "LoadedConfig",
    "NotifyConfig",
    "OutputConfig",
    "RateLimitConfig",
    "ScheduleConfig",
    "TenantConfig",
    "check_base_url",
    "load_config",
]


def _shown_path(raw: Path, target: Path) -> str:
    """A ``*_file`` path for a message, unless it looks like a pasted secret rather than a path."""
    text = str(raw)
    if "/" in text or "." in text or target.exists():
        return str(target)
    return "the file named there (not shown: it does not look like a path; a pasted secret?)"


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
