"""``results.json`` 3.0 (``reports.jsoncodec``): compact, and exactly what 2.x said.

``load`` of the 3.0 document must give, key for key, the 2.x document of the same result
(``model_dump(mode="json")``, as 2.x wrote it): no credential fact, finding field or evidence
entry lost or changed by leaving out what is derived."""

from __future__ import annotations

import json as stdjson
from typing import Any

import pytest

from auditor.kernel.model import Finding, ScanResult
from reports import json
from tests.reports.conftest import replace


def two_x(result: ScanResult) -> dict[str, Any]:
    data = result.model_dump(mode="json")
    return {"credentials": data["credentials"], "findings": data["evaluation"]["findings"]}


def loaded(result: ScanResult) -> dict[str, Any]:
    document = stdjson.loads(json.render(result)["results.json"])
    assert document["schema_version"] == "3.0"
    return json.load(document)


@pytest.mark.parametrize("fixture", ["curated", "rich"])
def test_load_gives_back_the_2x_document(fixture: str, request: pytest.FixtureRequest) -> None:
    result: ScanResult = request.getfixturevalue(fixture)
    out = loaded(result)
    expected = two_x(result)
    assert out["credentials"] == expected["credentials"]
    assert out["findings"] == expected["findings"]
    assert [list(f) for f in out["findings"]] == [list(f) for f in expected["findings"]]
    assert out["resolved"] == result.model_dump(mode="json")["resolved"]
    assert [Finding.model_validate(f) for f in out["findings"]] == list(result.findings)


def test_what_differs_from_the_derived_value_is_stated(rich: ScanResult) -> None:
    """A finding whose evidence, remediation, name or fingerprint differs from what its rule
    and credential give states it, and one whose credential is not in the population is
    written whole."""
    findings = list(rich.findings)
    first = findings[0]
    findings[0] = replace(
        first,
        evidence={**first.evidence, "expires_at": "1999-01-01T00:00:00Z", "extra": [1, 2]},
        remediation="do something else",
        credential_name="renamed",
        fingerprint="0" * 32,
    )
    stray = replace(findings[1], credential_id="not-in-the-population")
    findings.append(stray)
    result = replace(rich, evaluation=replace(rich.evaluation, findings=tuple(findings)))
    out = loaded(result)
    assert out["findings"] == two_x(result)["findings"]
    raw = stdjson.loads(json.render(result)["results.json"])
    assert raw["findings"][0]["remediation"] == "do something else"
    assert raw["findings"][0]["credential_name"] == "renamed"
    assert raw["findings"][-1] == stray.model_dump(mode="json")  # whole, no "credential"


def test_each_fact_once(curated: ScanResult) -> None:
    text = json.render(curated)["results.json"]
    raw = stdjson.loads(text)
    assert "\n" not in text[:-1]  # compact: one line
    defaults = raw["finding_defaults"]
    for f in raw["findings"]:
        assert not {"tenant", "provider", "credential_id", "fingerprint"} & set(f)
        for field in ("remediation", "controls", "status", "severity"):
            # stated only where it differs (a managed PAT's remediation does)
            assert f.get(field, defaults[f["rule_id"]][field]) != defaults[f["rule_id"]][field] or (
                field not in f
            )
    for c in raw["credentials"]:
        assert "provider" not in c
        assert isinstance(c["owner"], int) and isinstance(c["capabilities"], int)
    tables = raw["tables"]
    assert len(tables["capabilities"]) == 2  # one per vendor
    assert len(tables["owners"]) < len(raw["credentials"])


def test_newer_major_versions_are_refused() -> None:
    with pytest.raises(ValueError, match=r"schema_version 4.0 is newer"):
        json.load({"schema_version": "4.0"})
    assert json.load({"schema_version": "2.1", "findings": [1]}) == {
        "schema_version": "2.1",
        "findings": [1],
    }
