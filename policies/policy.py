"""The effective policy: default pack + the config's ``policy:`` section, globally and per tenant.

The default pack is the rules' own defaults (each rule module states them once: ``enabled``,
``default_severity`` and its ``Params``); there is no separate pack file to keep in step.

YAML shape of ``policy:`` (every key optional)::

    policy:
      stale: {max_idle_days: 45, severity: critical, enabled: true}   # any rule id
      privileged-access: {conductorone_roles: ["system:owner", "system:viewer"]}
      tenants:                                  # per-tenant overrides, same shape, on top of global
        acme-c1: {stale: {max_idle_days: 30}}
      custom_rules: custom-rules.yaml           # or an inline list (see policies/custom.py)

Overrides merge key by key: a tenant that sets only ``max_idle_days`` keeps the global severity.
Every problem is reported with the full key path from the config root
(``policy.tenants.acme-c1.stale.max_idle_days``); several problems are collected into one error.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.kernel.errors import ConfigError
from auditor.kernel.model import SEVERITIES, Severity
from auditor.kernel.privilege import judges_version
from auditor.kernel.timestamps import format_timestamp
from policies.base import Params, Rule
from policies.custom import RESERVED, CustomRule, load_custom_rules
from policies.registry import RULES

_SETTINGS_KEYS = ("enabled", "severity")


@dataclass(frozen=True)
class RuleSettings:
    """One rule as the effective policy runs it."""

    rule: Rule[Any]
    enabled: bool
    severity: Severity
    params: Params

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "severity": self.severity,
            "parameters": self.params.model_dump(mode="json"),
        }


@dataclass(frozen=True)
class Policy:
    """The global rule settings, full per-tenant settings where a tenant overrides, custom rules."""

    rules: Mapping[str, RuleSettings]
    tenant_rules: Mapping[str, Mapping[str, RuleSettings]] = field(default_factory=dict)
    custom_rules: tuple[CustomRule, ...] = ()
    tenants: tuple[str, ...] = ()

    def for_tenant(self, tenant: str) -> Mapping[str, RuleSettings]:
        return self.tenant_rules.get(tenant, self.rules)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule id, built-in then custom (what ``load_waivers(known_rules=...)`` needs)."""
        return tuple(self.rules)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: global settings, then per tenant only what differs from global."""
        tenants: dict[str, Any] = {}
        for name, rules in self.tenant_rules.items():
            diff = {
                rule_id: settings.as_dict()
                for rule_id, settings in rules.items()
                if settings.as_dict() != self.rules[rule_id].as_dict()
            }
            if diff:
                tenants[name] = diff
        return {
            "rules": {rule_id: settings.as_dict() for rule_id, settings in self.rules.items()},
            "tenants": tenants,
            "custom_rules": [_jsonable(rule.definition) for rule in self.custom_rules],
        }


def default_policy() -> Policy:
    """The default pack alone (what ``credaudit rules`` shows without a config)."""
    return Policy(rules=_pack_settings())


def _pack_settings() -> Mapping[str, RuleSettings]:
    """The default pack, read from the rules themselves: each rule's module states its defaults
    once (``default_enabled``, ``default_severity`` and its ``Params`` field defaults). Rebuilt
    when the privilege judges change: they declare ``privileged-access``'s parameters."""
    return _pack_for(judges_version())


@cache
def _pack_for(version: int) -> Mapping[str, RuleSettings]:
    return {
        rule_id: RuleSettings(
            rule, rule.default_enabled, rule.default_severity, rule.params_model()
        )
        for rule_id, rule in RULES.items()
    }


def load_policy(
    raw: Mapping[str, Any] | None, *, tenants: Collection[str], base_dir: Path
) -> Policy:
    """Build the effective policy; raise ``ConfigError`` naming every bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "policy must be a mapping of rule ids to settings",
            key="policy",
            fix="e.g. policy: {stale: {max_idle_days: 45}}",
        )
    problems: list[ConfigError] = []
    custom: tuple[CustomRule, ...] = ()
    try:
        custom = load_custom_rules(
            raw.get("custom_rules"), base_dir=base_dir, builtin_ids=list(RULES)
        )
    except ConfigError as err:
        problems.extend(err.problems or [err])
    base = dict(_pack_settings())
    for rule in custom:
        base[rule.id] = RuleSettings(
            rule, rule.default_enabled, rule.default_severity, rule.params_model()
        )
    overrides = {key: value for key, value in raw.items() if key not in RESERVED}
    global_rules = _apply(base, overrides, "policy", problems)
    tenant_rules: dict[str, Mapping[str, RuleSettings]] = {}
    raw_tenants = raw.get("tenants") or {}
    if not isinstance(raw_tenants, Mapping):
        problems.append(
            ConfigError(
                "policy.tenants must map tenant names to rule overrides",
                key="policy.tenants",
                fix="e.g. tenants: {acme-c1: {stale: {max_idle_days: 30}}}",
            )
        )
        raw_tenants = {}
    known = list(tenants)
    for name, tenant_overrides in raw_tenants.items():
        key = f"policy.tenants.{name}"
        if name not in known:
            problems.append(
                ConfigError(
                    f"unknown tenant {name!r}",
                    key=key,
                    fix="use a name from tenants[].name: " + (", ".join(known) or "(none)"),
                )
            )
            continue
        if tenant_overrides is None:
            continue
        if not isinstance(tenant_overrides, Mapping):
            problems.append(ConfigError("must map rule ids to settings", key=key))
            continue
        tenant_rules[str(name)] = _apply(global_rules, tenant_overrides, key, problems)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ConfigError(f"{len(problems)} problems in the policy", problems=problems)
    return Policy(
        rules=global_rules, tenant_rules=tenant_rules, custom_rules=custom, tenants=tuple(known)
    )


def _apply(
    base: Mapping[str, RuleSettings],
    overrides: Mapping[Any, Any],
    prefix: str,
    problems: list[ConfigError],
) -> dict[str, RuleSettings]:
    result = dict(base)
    for rule_id, override in overrides.items():
        key = f"{prefix}.{rule_id}"
        current = result.get(rule_id)
        if current is None:
            problems.append(
                ConfigError(
                    f"unknown rule {rule_id!r}",
                    key=key,
                    fix="rule ids: " + ", ".join(result),
                )
            )
            continue
        if override is None:
            continue
        if not isinstance(override, Mapping):
            problems.append(
                ConfigError(
                    "rule settings must be a mapping",
                    key=key,
                    fix=f"e.g. {rule_id}: {{enabled: true, severity: {current.severity}}}",
                )
            )
            continue
        updated = _apply_one(current, rule_id, override, key, problems)
        if updated is not None:
            result[rule_id] = updated
    return result


def _apply_one(
    current: RuleSettings,
    rule_id: str,
    override: Mapping[Any, Any],
    key: str,
    problems: list[ConfigError],
) -> RuleSettings | None:
    before = len(problems)
    enabled = override.get("enabled", current.enabled)
    if not isinstance(enabled, bool):
        problems.append(
            ConfigError(f"enabled must be true or false, got {enabled!r}", key=f"{key}.enabled")
        )
    severity = override.get("severity", current.severity)
    if severity not in SEVERITIES:
        problems.append(
            ConfigError(
                f"invalid severity {severity!r}",
                key=f"{key}.severity",
                fix="one of: " + ", ".join(SEVERITIES),
            )
        )
    params_in = {k: v for k, v in override.items() if k not in _SETTINGS_KEYS}
    params = current.params
    if params_in:
        model = current.rule.params_model
        try:
            params = model.model_validate({**current.params.model_dump(), **params_in})
        except ValidationError as exc:
            problems.extend(_param_errors(exc, rule_id, model, key))
    if len(problems) > before:
        return None
    return replace(current, enabled=enabled, severity=severity, params=params)


def _param_errors(
    exc: ValidationError, rule_id: str, model: type[Params], key: str
) -> list[ConfigError]:
    names = list(model.model_fields)
    accepted = ", ".join([*_SETTINGS_KEYS, *names])
    errors: list[ConfigError] = []
    for error in exc.errors():
        loc = error["loc"]
        name = str(loc[0]) if loc else ""
        where = ".".join([key, *(str(part) for part in loc)])
        if error["type"] == "extra_forbidden":
            errors.append(
                ConfigError(
                    f"unknown parameter {name!r} for rule {rule_id}",
                    key=where,
                    fix=f"keys accepted for {rule_id}: {accepted}",
                )
            )
        else:
            default = model.model_fields[name].get_default(call_default_factory=True)
            errors.append(
                ConfigError(
                    f"invalid value {error.get('input')!r} for {rule_id} {name}: {error['msg']}",
                    key=where,
                    fix=f"default: {default!r}",
                )
            )
    return errors


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
