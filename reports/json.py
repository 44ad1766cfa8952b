"""``results.json``: the whole scan, versioned, for machines (docs/architecture.md "Output files").

Top-level keys: ``schema_version``, ``tool``, ``scan``, ``coverage``, ``policy``, ``summary``,
``credentials`` (every credential evaluated), ``tables`` (the distinct owners, capabilities,
privileges and inherited restrictions the credentials refer to), ``finding_defaults`` (per rule,
what its findings share), ``findings`` (every fail, manual and waived result, referring to its
credential by index), ``not_applicable`` (rules the vendor cannot express, counted per tenant,
provider and rule), ``waivers``, plus ``result_counts``, ``constraint_gaps``, ``controls`` and
``resolved`` (whole findings: their credential may be gone).

Since 3.0 the document is compact (no indentation, each fact once; ``reports.jsoncodec`` states
the encoding and its inverse) and written as a stream: one credential or finding at a time, so a
200,000-credential scan never holds its text whole. ``load`` reads a saved document of either
major version (2.x or 3.x) into the 2.x shape, which every reader in credaudit uses.

The document is versioned by ``schema_version`` (``ScanResult.schema_version``) and described
by the JSON Schema shipped beside this module, ``results.schema.json`` (draft 2020-12);
``tests/reports/test_json_schema.py`` validates real output against it, so a model change that
is not reflected in the schema fails the tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from auditor.kernel.model import Credential, Finding, ScanResult
from reports.base import buffered, joined
from reports.jsoncodec import (
    FROM_CREDENTIAL,
    FindingDefaults,
    Tables,
    dumps,
    encode_credential,
    encode_finding,
    expand,
    major,
)

FILE_NAME = "results.json"
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")
"""The JSON Schema of ``results.json`` (also for the evidence bundle to ship)."""

__all__ = ["FILE_NAME", "SCHEMA_FILE", "expand", "load", "major", "render", "stream"]


def _credential_view(credential: Credential, fields: set[str]) -> dict[str, Any]:
    """The parts of a credential's JSON data a finding is compared with."""
    return credential.model_dump(mode="json", include=fields)


_VIEW_FIELDS = {path.split(".", 1)[0] for path in FROM_CREDENTIAL.values()}


def _chunks(result: ScanResult) -> Iterator[str]:
    evaluation = result.evaluation
    head = {
        "schema_version": result.schema_version,
        "tool": result.tool.model_dump(mode="json"),
        "scan": result.scan.model_dump(mode="json"),
        "coverage": [c.model_dump(mode="json") for c in result.coverage],
        "policy": evaluation.policy,
        "summary": result.summary,
    }
    yield dumps(head)[:-1]  # the object left open
    providers = {c.tenant: c.provider for c in result.coverage}
    tables = Tables()
    index: dict[tuple[str, str], int] = {}  # the credentials' own strings: no copies
    yield ',"credentials":['
    for i, credential in enumerate(result.credentials):
        index.setdefault((credential.tenant, credential.id), i)
        data = encode_credential(
            credential.model_dump(mode="json"), providers.get(credential.tenant), tables
        )
        yield ("," if i else "") + dumps(data)
    yield '],"tables":'
    yield from tables.chunks()
    del tables

    def credential_of(f: Finding) -> Credential | None:
        i = index.get((f.tenant, f.credential_id))
        return None if i is None else result.credentials[i]

    defaults = FindingDefaults(evaluation.findings, credential_of).rules
    yield ',"finding_defaults":' + dumps(defaults)
    yield ',"findings":['
    for n, f in enumerate(evaluation.findings):
        at = index.get((f.tenant, f.credential_id))
        rule = defaults.get(f.rule_id)
        view = None
        if at is not None and rule is not None:
            fields = _VIEW_FIELDS | {
                p.split(".", 1)[0] for p in rule.get("evidence_from", {}).values()
            }
            view = _credential_view(result.credentials[at], fields)
        data = encode_finding(f.model_dump(mode="json"), at, view, rule)
        yield ("," if n else "") + dumps(data)
    yield "]"
    rest = evaluation.model_dump(mode="json", exclude={"findings", "policy"})
    for key in ("not_applicable", "waivers", "result_counts", "constraint_gaps", "controls"):
        yield f",{dumps(key)}:{dumps(rest[key])}"
    yield ',"resolved":['
    for n, f in enumerate(result.resolved):
        yield ("," if n else "") + dumps(f.model_dump(mode="json"))
    yield "]}\n"


def stream(result: ScanResult) -> Mapping[str, Iterable[str]]:
    """``results.json`` made as it is written, in chunks of about 64 KB (``reports.base``)."""
    return {FILE_NAME: buffered(_chunks(result))}


def render(result: ScanResult) -> Mapping[str, str]:
    return joined(stream(result))


def to_document(result: ScanResult) -> dict[str, Any]:
    """The JSON document as Python data, as written (3.0: compact; ``load`` expands it)."""
    document: dict[str, Any] = json.loads(render(result)[FILE_NAME])
    return document


def load(document: Any) -> dict[str, Any]:
    """A parsed ``results.json`` of any supported major version (2.x, 3.x) in the 2.x shape:
    every credential and finding whole (``reports.jsoncodec.expand``). What every reader of a
    saved result uses, so that older files, audit evidence, stay readable."""
    if not isinstance(document, dict):
        raise ValueError("results.json: not a JSON object")
    if major(document) > 3:
        raise ValueError(
            f"results.json: schema_version {document.get('schema_version')} is newer than this "
            "credaudit reads (2.x, 3.x): upgrade credaudit"
        )
    return expand(document)
