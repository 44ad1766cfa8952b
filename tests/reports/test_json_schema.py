"""``results.json`` against the JSON Schema shipped with the package (draft 2020-12)."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from auditor.kernel.model import ScanResult
from reports import json as json_format

SCHEMA_PATH = json_format.SCHEMA_FILE


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def document(result: ScanResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json_format.render(result)["results.json"])
    return data


def errors(validator: jsonschema.Draft202012Validator, doc: object) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


def test_schema_is_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_curated_demo_validates(
    validator: jsonschema.Draft202012Validator, curated: ScanResult
) -> None:
    doc = document(curated)
    assert errors(validator, doc) == []
    assert doc["schema_version"] == "3.0"
    assert len(doc["credentials"]) == 81
    assert {f["status"] for f in json_format.load(doc)["findings"]} == {"fail", "manual"}
    assert [
        (g["tenant"], g["rule_id"], g["capability"], g["credentials"])
        for g in doc["not_applicable"]
    ] == [
        ("sandbox-isc", "broad-source-restriction", "network_restriction", 37),
        ("sandbox-isc", "no-source-restriction", "network_restriction", 37),
    ]
    na = doc["summary"]["by_status"]["not_applicable"]
    assert na == 74 == sum(row.get("not_applicable", 0) for row in doc["result_counts"].values())


def test_rich_result_validates(
    validator: jsonschema.Draft202012Validator, rich: ScanResult
) -> None:
    """Waivers in every state, a failed and a partial tenant, history fields filled."""
    doc = document(rich)
    assert errors(validator, doc) == []
    assert {f["status"] for f in json_format.load(doc)["findings"]} == {
        "fail", "manual", "waived", "not_applicable"
    }  # fmt: skip
    assert [w["state"] for w in doc["waivers"]] == ["active", "expiring", "expired", "stale"]
    assert doc["resolved"][0]["credential_id"] == "gone-1"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("schema_version",), "1.1"),
        (("scan", "status"), "done"),
        (("scan", "as_of"), "2026-11-24T00:00:00+01:00"),
        (("findings", 0, "status"), "open"),
        (("findings", 0, "fingerprint"), "not-a-fingerprint"),
        (("findings", 0, "credential"), -1),
        (("findings", 0, "credential"), "0"),
        (("credentials", 0, "owner"), {"status": "active"}),
        (("tables", "owners", 0, "status"), "gone"),
        (("finding_defaults", "stale", "severity"), "urgent"),
        (("coverage", 0, "status"), "ok"),
    ],
)
def test_schema_rejects_invalid_values(
    validator: jsonschema.Draft202012Validator,
    curated: ScanResult,
    path: tuple[str | int, ...],
    value: object,
) -> None:
    doc = copy.deepcopy(document(curated))
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert errors(validator, doc) != []


@pytest.mark.parametrize(
    "key", ["schema_version", "findings", "credentials", "coverage", "tables", "finding_defaults"]
)
def test_schema_requires_top_level_keys(
    validator: jsonschema.Draft202012Validator, curated: ScanResult, key: str
) -> None:
    doc = document(curated)
    del doc[key]
    assert errors(validator, doc) == [f"$: '{key}' is a required property"]


def test_schema_rejects_unknown_fields(
    validator: jsonschema.Draft202012Validator, curated: ScanResult
) -> None:
    """An added model field must come with a schema change (and a schema_version bump)."""
    doc = document(curated)
    doc["credentials"][0]["secret"] = "x"
    assert len(errors(validator, doc)) == 1
