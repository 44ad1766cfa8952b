"""Custom rules written in YAML (docs/architecture.md: "declarative conditions over Credential
fields").

Shape of one entry::

    - id: sailpoint-managed-unscoped        # lowercase, digits and hyphens; not a built-in id
      title: Workflow-managed PAT with full scope
      severity: high                        # critical | high | medium | low | info
      remediation: Re-create the workflow's token with explicit scopes.
      description: optional longer text
      controls: ["SOC 2 CC6.3"]             # optional framework references
      enabled: true                         # optional, default true
      condition:                            # fails when the condition holds (see conditions.py)
        all:
          - {field: provider, eq: sailpoint}
          - {field: managed, eq: true}
          - {field: scope_mode, eq: full}

A custom rule fails a credential when its condition holds and passes it otherwise; it never gives
``manual`` or ``not_applicable`` because it judges stored facts only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from auditor.kernel.errors import ConfigError
from auditor.kernel.model import SEVERITIES, Credential, Severity
from auditor.kernel.yamlfile import read_yaml_file
from policies.base import NoParams, Outcome, Rule, RuleContext, span
from policies.conditions import (
    ConditionError,
    Predicate,
    compile_condition,
    evidence_value,
    to_config_error,
)

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
RESERVED = frozenset({"tenants", "custom_rules"})
_REQUIRED = ("id", "title", "severity", "remediation", "condition")
_OPTIONAL = ("description", "controls", "enabled")


class CustomRule(Rule[NoParams]):
    """A rule compiled from YAML; behaves like a built-in to the evaluator."""

    params_model = NoParams
    source = "custom"

    def __init__(
        self,
        *,
        rule_id: str,
        title: str,
        severity: Severity,
        remediation: str,
        description: str,
        controls: tuple[str, ...],
        enabled: bool,
        predicate: Predicate,
        fields: tuple[str, ...],
        definition: Mapping[str, Any],
    ) -> None:
        self.id = rule_id
        self.title = title
        self.default_severity = severity
        self.remediation = remediation
        self.description = description
        self.controls = controls
        self.default_enabled = enabled
        self.predicate = predicate
        self.fields = fields
        self.definition = dict(definition)

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        if not self.predicate(credential, ctx.as_of):
            return None
        evidence = {name: evidence_value(credential, name) for name in self.fields}
        facts = "; ".join(_describe(credential, name, ctx.as_of) for name in self.fields)
        return ("fail", f"{self.title}: {facts}", evidence)


def _describe(credential: Credential, name: str, as_of: datetime) -> str:
    value = evidence_value(credential, name)
    raw = attrgetter(name)(credential)
    if isinstance(raw, datetime):
        delta = as_of - raw
        when = f"{span(delta)} ago" if delta.total_seconds() >= 0 else f"in {span(-delta)}"
        return f"{name} {value} ({when})"
    return f"{name} = {value!r}" if not isinstance(value, list) else f"{name} = {value}"


def load_custom_rules(
    raw: object, *, base_dir: Path, builtin_ids: Sequence[str]
) -> tuple[CustomRule, ...]:
    """``policy.custom_rules``: an inline list, or a path (relative to ``base_dir``) to a YAML list.

    Every problem is collected into one ``ConfigError`` so a user fixes them in one pass.
    """
    if raw is None:
        return ()
    file: str | None = None
    prefix = "policy.custom_rules"
    if isinstance(raw, str):
        path = (base_dir / raw).resolve()
        file = str(path)
        prefix = "custom_rules"
        raw = _read_yaml(path, "policy.custom_rules")
    if not isinstance(raw, list):
        raise ConfigError(
            "custom rules must be a list of rule definitions",
            file=file,
            key=prefix,
            fix="write a YAML list: - {id: ..., title: ..., severity: ..., condition: ...}",
        )
    rules: list[CustomRule] = []
    problems: list[ConfigError] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"{prefix}[{index}]"
        try:
            rule = _one(entry, where, file, builtin_ids)
        except ConfigError as err:
            problems.extend(err.problems or [err])
            continue
        if rule.id in seen:
            problems.append(
                ConfigError(f"duplicate custom rule id {rule.id!r}", file=file, key=f"{where}.id")
            )
            continue
        seen.add(rule.id)
        rules.append(rule)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ConfigError(f"{len(problems)} problems in custom rules", problems=problems)
    return tuple(rules)


def _read_yaml(path: Path, key: str) -> object:
    return read_yaml_file(path, key=key)


def _one(entry: object, where: str, file: str | None, builtin_ids: Sequence[str]) -> CustomRule:
    if not isinstance(entry, Mapping):
        raise ConfigError("a custom rule must be a mapping", file=file, key=where)
    problems: list[ConfigError] = []
    for key in entry:
        if key not in _REQUIRED and key not in _OPTIONAL:
            problems.append(
                ConfigError(
                    f"unknown key {key!r}",
                    file=file,
                    key=f"{where}.{key}",
                    fix="allowed: " + ", ".join(_REQUIRED + _OPTIONAL),
                )
            )
    for key in _REQUIRED:
        if key not in entry or entry[key] in (None, ""):
            problems.append(ConfigError(f"{key} is required", file=file, key=f"{where}.{key}"))
    if problems:
        raise ConfigError("invalid custom rule", problems=problems)
    rule_id = entry["id"]
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id) or rule_id in RESERVED:
        problems.append(
            ConfigError(
                f"invalid rule id {rule_id!r}",
                file=file,
                key=f"{where}.id",
                fix="lowercase letters, digits and hyphens, e.g. managed-full-scope",
            )
        )
    elif rule_id in builtin_ids:
        problems.append(
            ConfigError(
                f"{rule_id!r} is a built-in rule id",
                file=file,
                key=f"{where}.id",
                fix="choose another id; override a built-in under policy.<rule id> instead",
            )
        )
    severity = entry["severity"]
    if severity not in SEVERITIES:
        problems.append(
            ConfigError(
                f"invalid severity {severity!r}",
                file=file,
                key=f"{where}.severity",
                fix="one of: " + ", ".join(SEVERITIES),
            )
        )
    for key in ("title", "remediation", "description"):
        if key in entry and not isinstance(entry[key], str):
            problems.append(ConfigError(f"{key} must be text", file=file, key=f"{where}.{key}"))
    controls = entry.get("controls", [])
    if not isinstance(controls, list) or not all(isinstance(c, str) and c for c in controls):
        problems.append(
            ConfigError(
                "controls must be a list of references",
                file=file,
                key=f"{where}.controls",
                fix='e.g. ["SOC 2 CC6.1", "CIS Controls v8 5.3"]',
            )
        )
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(
            ConfigError("enabled must be true or false", file=file, key=f"{where}.enabled")
        )
    try:
        predicate, fields = compile_condition(entry["condition"], "condition")
    except ConditionError as err:
        problems.append(to_config_error(err, where, file))
    if problems:
        raise ConfigError("invalid custom rule", problems=problems)
    return CustomRule(
        rule_id=rule_id,
        title=entry["title"],
        severity=severity,
        remediation=entry["remediation"],
        description=entry.get("description") or entry["title"],
        controls=tuple(controls),
        enabled=enabled,
        predicate=predicate,
        fields=fields,
        definition=entry,
    )
