"""The compact encoding of ``results.json`` 3.0 (``reports.json``) and its exact inverse.

Schema 2.x wrote every credential with every field and every finding with copies of its
credential's facts (tenant, provider, id, name, owner), the rule's remediation text and control
list, and evidence repeating the credential's own fields: 4.2 KB per credential, indented. 3.0
writes each fact once, losslessly:

- **credentials**: a field at its model default (``null``, ``[]``, ``""``, owner unknown) is left
  out; ``provider`` is left out (it is the provider of the credential's tenant in ``coverage``);
  ``owner``, ``capabilities``, ``privilege`` and ``inherited_restriction`` are indexes into
  ``tables.owners``, ``tables.capabilities``, ``tables.privileges`` and ``tables.restrictions``
  (each distinct object once; a ``null`` privilege or restriction is left out).
- **findings**: ``credential`` is the index of the finding's credential in ``credentials``;
  ``tenant``, ``provider``, ``credential_id``, ``credential_name``, ``owner_id`` and
  ``owner_name`` are that credential's and left out, and so is ``fingerprint`` (it is
  ``fingerprint(tenant, credential_id, rule_id)``). ``finding_defaults`` holds, per rule, the
  value of ``status``, ``severity``, ``remediation``, ``controls``, ``waiver``, ``first_seen`` and
  ``change`` most of its findings share; a finding states only the fields that differ. Evidence
  entries every finding of a rule holds with one value are in the rule's ``evidence``; entries
  that are a field of the credential (``expires_at``, ``owner.id`` as ``owner_id``…) are named in
  its ``evidence_from`` and left out where they equal it.

A field a finding states always wins over what is derived. ``expand`` turns a 3.0 document into
the 2.x shape (every credential and finding whole); a 2.x document is returned as it is, so saved
results of either version read the same way (``reports.json.load``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic_core import PydanticUndefined

from auditor.kernel.model import Credential, Finding, fingerprint
from auditor.kernel.timestamps import format_timestamp

TABLES = {
    "owner": "owners",
    "capabilities": "capabilities",
    "privilege": "privileges",
    "inherited_restriction": "restrictions",
}
"""Credential fields written as an index into ``tables``: field → table."""
FROM_CREDENTIAL = {
    "tenant": "tenant",
    "provider": "provider",
    "credential_id": "id",
    "credential_name": "name",
    "owner_id": "owner.id",
    "owner_name": "owner.name",
}
"""Finding fields that are its credential's: finding field → credential path."""
DEFAULTED = ("status", "severity", "remediation", "controls", "waiver", "first_seen", "change")
"""Finding fields ``finding_defaults`` may hold per rule."""
EVIDENCE_SOURCES = {
    "expires_at": "expires_at",
    "created_at": "created_at",
    "last_used_at": "last_used_at",
    "deleted_at": "deleted_at",
    "updated_at": "updated_at",
    "scope_mode": "scope_mode",
    "scopes": "scopes",
    "allowed_cidrs": "allowed_cidrs",
    "owner_id": "owner.id",
    "owner_status": "owner.status",
    "owner_status_reason": "owner.status_reason",
    "owner_kind": "owner.kind",
    "owner_roles": "owner.roles",
}
"""Evidence keys that may be a field of the credential: evidence key → credential path."""
_TRACKED = 64
"""Distinct values counted per rule and field when choosing its default."""


def dumps(value: Any) -> str:
    """Compact JSON, as every part of ``results.json`` 3.0 is written."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_default(value: Any) -> Any:
    return json.loads(dumps(value)) if isinstance(value, tuple) else value


def _credential_defaults() -> dict[str, Any]:
    defaults = {}
    for name, field in Credential.model_fields.items():
        if field.default is not PydanticUndefined:
            default = field.default
            if hasattr(default, "model_dump"):
                default = default.model_dump(mode="json")
            defaults[name] = _json_default(default)
    return defaults


CREDENTIAL_DEFAULTS = _credential_defaults()
"""Each credential field with a default, as JSON data: what a 3.0 credential leaves out."""


def _path(data: Any, path: str) -> Any:
    """The value at a dotted path; ``None`` where the data has none (left to validation)."""
    for part in path.split("."):
        data = data.get(part) if isinstance(data, Mapping) else None
    return data


# -- encoding --------------------------------------------------------------------------------


class Tables:
    """The distinct owners, capabilities, privileges and restrictions, as their JSON text."""

    def __init__(self) -> None:
        self.index: dict[str, dict[str, int]] = {t: {} for t in TABLES.values()}

    def intern(self, table: str, value: Any) -> int:
        text = dumps(value)
        seen = self.index[table]
        if text not in seen:
            seen[text] = len(seen)
        return seen[text]

    def chunks(self) -> Iterator[str]:
        yield "{"
        for n, (table, seen) in enumerate(self.index.items()):
            yield ("," if n else "") + dumps(table) + ":["
            yield ",".join(seen)  # insertion order is index order
            yield "]"
        yield "}"


def encode_credential(data: dict[str, Any], provider: str | None, tables: Tables) -> dict[str, Any]:
    """A credential's 2.x JSON data (``model_dump(mode="json")``) in the 3.0 form."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "provider" and value == provider:
            continue
        if key in TABLES and value is not None:
            out[key] = tables.intern(TABLES[key], value)
        elif key not in CREDENTIAL_DEFAULTS or value != CREDENTIAL_DEFAULTS[key]:
            out[key] = value
    return out


class _RuleStats:
    """What pass one learns about one rule's findings."""

    def __init__(self) -> None:
        self.count = 0
        self.values: dict[str, Counter[Any]] = {f: Counter() for f in DEFAULTED}
        self.examples: dict[tuple[str, Any], Finding] = {}
        self.evidence: dict[str, list[Any]] = {}  # key -> [present count, value, constant]
        self.sources = dict(EVIDENCE_SOURCES)
        self.first: Finding | None = None


def _hashable(finding: Finding, field: str) -> Any:
    value = getattr(finding, field)
    return value.model_dump_json() if hasattr(value, "model_dump_json") else value


class FindingDefaults:
    """Per rule: the shared values of its findings (pass one over the findings)."""

    def __init__(
        self, findings: Iterable[Finding], credential_of: Callable[[Finding], Any | None]
    ) -> None:
        stats: dict[str, _RuleStats] = {}
        for f in findings:
            s = stats.setdefault(f.rule_id, _RuleStats())
            s.count += 1
            for field in DEFAULTED:
                value = _hashable(f, field)
                counter = s.values[field]
                if value in counter or len(counter) < _TRACKED:
                    counter[value] += 1
                    s.examples.setdefault((field, value), f)
            for key, value in f.evidence.items():
                entry = s.evidence.setdefault(key, [0, value, True])
                entry[0] += 1
                if entry[2] and entry[1] != value:
                    entry[2] = False
            s.first = s.first or f
            credential = credential_of(f)
            for key, path in list(s.sources.items()):
                if credential is None or key not in f.evidence:
                    del s.sources[key]
                    continue
                held = _attr(credential, path)
                if _plain(held) != _plain(f.evidence[key]):
                    del s.sources[key]
        self.rules: dict[str, dict[str, Any]] = {}
        for rule, s in sorted(stats.items()):
            rule_defaults: dict[str, Any] = {}
            for field in DEFAULTED:
                value, _ = s.values[field].most_common(1)[0]
                example = s.examples[(field, value)].model_dump(mode="json", include={field})
                rule_defaults[field] = example[field]
            constant = [k for k, e in s.evidence.items() if e[0] == s.count and e[2]]
            if constant and s.first is not None:
                evidence = s.first.model_dump(mode="json", include={"evidence"})["evidence"]
                rule_defaults["evidence"] = {k: evidence[k] for k in constant}
            sources = {k: p for k, p in s.sources.items() if k not in constant}
            if sources:
                rule_defaults["evidence_from"] = sources
            self.rules[rule] = rule_defaults


def _attr(model: Any, path: str) -> Any:
    for part in path.split("."):
        model = getattr(model, part)
    return model


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return format_timestamp(value)
    return str(value) if value is not None and not isinstance(value, str | int | float) else value


def encode_finding(
    data: dict[str, Any],
    index: int | None,
    credential: dict[str, Any] | None,
    defaults: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A finding's 2.x JSON data in the 3.0 form; ``credential`` is the JSON data of the
    credential at ``index`` (the parts ``FROM_CREDENTIAL`` and ``evidence_from`` read)."""
    if index is None or credential is None or defaults is None:
        return data  # whole: nothing to derive it from
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in FROM_CREDENTIAL and value == _path(credential, FROM_CREDENTIAL[key]):
            continue
        if key == "fingerprint" and value == fingerprint(
            data["tenant"], data["credential_id"], data["rule_id"]
        ):
            continue
        if key in DEFAULTED and value == defaults[key]:
            continue
        if key == "evidence":
            value = _encode_evidence(value, credential, defaults)
            if not value:
                continue
        out[key] = value
        if key == "rule_id":
            out["credential"] = index
    return out


def _encode_evidence(
    evidence: dict[str, Any], credential: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    constant = defaults.get("evidence", {})
    sources = defaults.get("evidence_from", {})
    out = {}
    for key, value in evidence.items():
        if key in constant and value == constant[key]:
            continue
        if key in sources and value == _path(credential, sources[key]):
            continue
        out[key] = value
    return out


# -- decoding ---------------------------------------------------------------------------------


def major(document: Mapping[str, Any]) -> int:
    """The major schema version of a ``results.json`` document (2 when it says nothing)."""
    version = str(document.get("schema_version") or "2")
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 2


def decode_credential(
    item: Any, tables: Mapping[str, list[Any]], providers: Mapping[str, Any]
) -> Any:
    """A 3.0 credential as its 2.x JSON data (anything but an object is left to validation)."""
    if not isinstance(item, Mapping):
        return item
    out: dict[str, Any] = {}
    for name in Credential.model_fields:
        if name in item:
            value = item[name]
            if name in TABLES and isinstance(value, int) and not isinstance(value, bool):
                value = tables[TABLES[name]][value]
            out[name] = value
        elif name == "provider" and item.get("tenant") in providers:
            out[name] = providers[item["tenant"]]
        elif name in CREDENTIAL_DEFAULTS:
            out[name] = CREDENTIAL_DEFAULTS[name]
    out.update((k, v) for k, v in item.items() if k not in out)  # unknown keys: left to validation
    return out


def decode_finding(
    item: Any,
    credentials: list[Any],
    defaults: Mapping[str, Mapping[str, Any]],
) -> Any:
    """A 3.0 finding as its 2.x JSON data (``credentials``: decoded)."""
    if not isinstance(item, Mapping):
        return item
    index = item.get("credential")
    if not isinstance(index, int) or isinstance(index, bool):
        return dict(item)
    credential = credentials[index]
    rule = defaults.get(str(item.get("rule_id")), {})
    derived: dict[str, Any] = {"rule_id": item.get("rule_id")}
    for field in ("status", "severity", "provider", "tenant", "credential_id", "credential_name"):
        derived[field] = _source(item, field, credential, rule)
    for field in ("owner_id", "owner_name", "message"):
        derived[field] = _source(item, field, credential, rule)
    evidence = dict(rule.get("evidence", {}))
    for key, path in rule.get("evidence_from", {}).items():
        evidence[key] = _path(credential, path)
    evidence.update(item.get("evidence") or {})
    derived["evidence"] = evidence
    for field in ("remediation", "controls"):
        derived[field] = _source(item, field, credential, rule)
    derived["fingerprint"] = item.get("fingerprint") or fingerprint(
        str(derived["tenant"]), str(derived["credential_id"]), str(derived["rule_id"])
    )
    for field in ("waiver", "first_seen", "change"):
        derived[field] = _source(item, field, credential, rule)
    derived.update((k, v) for k, v in item.items() if k not in derived and k != "credential")
    return derived


def _source(
    item: Mapping[str, Any], field: str, credential: Mapping[str, Any], rule: Mapping[str, Any]
) -> Any:
    if field in item:
        return item[field]
    if field in FROM_CREDENTIAL:
        return _path(credential, FROM_CREDENTIAL[field])
    return rule.get(field)


def expand(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` in the 2.x shape: a 3.0 document's credentials and findings whole, its
    ``tables`` and ``finding_defaults`` gone; a 2.x document as it is."""
    if major(document) < 3:
        return dict(document)
    providers = {
        str(c.get("tenant")): c.get("provider")
        for c in document.get("coverage") or ()
        if isinstance(c, Mapping)
    }
    tables = document.get("tables") or {}
    credentials = [
        decode_credential(c, tables, providers) for c in document.get("credentials") or ()
    ]
    defaults = document.get("finding_defaults") or {}
    findings = [decode_finding(f, credentials, defaults) for f in document.get("findings") or ()]
    out = {k: v for k, v in document.items() if k not in ("tables", "finding_defaults")}
    out["credentials"] = credentials
    out["findings"] = findings
    return out
