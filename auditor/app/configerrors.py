"""Configuration problems as located ``ConfigError``s (``auditor.app.config``): pydantic's
validation errors mapped onto key paths with "did you mean" hints (never quoting an input),
secrets written in the file refused by key name, unknown tenant keys, a vendor's own tenant keys
validated by its ``options_model``, and all of a file's problems combined into one error."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from auditor.app.configmodel import SECRET_KEYS, AuditConfig, TenantConfig
from auditor.kernel.errors import ConfigError
from providers.options import Options
from providers.registry import registry


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
