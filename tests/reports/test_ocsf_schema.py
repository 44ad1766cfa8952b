"""``findings.ocsf.jsonl`` as real consumers read it (issue 17): every event validates against the
official OCSF 1.3.0 Detection Finding JSON schema (vendored in tests/specs/ocsf, see SOURCE.txt)
and parses with ``py-ocsf-models``, the models Prowler's pipelines use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from py_ocsf_models.events.findings.detection_finding import (  # type: ignore[import-untyped]
    DetectionFinding,
)

from auditor.kernel.model import ScanResult
from reports import ocsf

from .conftest import replace

SPEC = Path(__file__).resolve().parents[1] / "specs" / "ocsf"
SCHEMA_FILE = SPEC / "detection_finding-1.3.0.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def events(result: ScanResult) -> list[dict[str, Any]]:
    (text,) = ocsf.render(result).values()
    return [json.loads(line) for line in text.splitlines()]


def test_the_vendored_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["$id"] == "https://schema.ocsf.io/schema/1.3.0/classes/detection_finding"
    assert schema["properties"]["class_uid"]["const"] == 2004
    assert set(schema["required"]) >= set(ocsf.REQUIRED[""])
    source = (SPEC / "SOURCE.txt").read_text()
    assert "https://schema.ocsf.io/1.3.0/export/schema" in source
    assert "Apache License" in (SPEC / "LICENSE").read_text()


@pytest.mark.parametrize("which", ["curated", "rich"])
def test_every_event_validates_against_ocsf_1_3_0(
    which: str, request: pytest.FixtureRequest, validator: jsonschema.protocols.Validator
) -> None:
    result: ScanResult = request.getfixturevalue(which)
    lines = events(result)
    assert lines
    problems = [
        f"{e['finding_info']['uid']}: {'/'.join(map(str, err.absolute_path))}: {err.message}"
        for e in lines
        for err in validator.iter_errors(e)
    ]
    assert problems == []


def test_an_attribute_the_class_lacks_is_rejected(
    curated: ScanResult, validator: jsonschema.protocols.Validator
) -> None:
    # the schema is strict: before this branch every event carried is_alert (a 1.4.0 attribute)
    event = events(curated)[0]
    assert validator.is_valid(event)
    assert not validator.is_valid({**event, "is_alert": True})
    assert not validator.is_valid({**event, "severity_id": 7})
    assert not validator.is_valid({k: v for k, v in event.items() if k != "finding_info"})


@pytest.mark.parametrize("which", ["curated", "rich"])
def test_every_event_parses_with_py_ocsf_models(which: str, request: pytest.FixtureRequest) -> None:
    result: ScanResult = request.getfixturevalue(which)
    for event in events(result):
        model = DetectionFinding.model_validate(event)
        assert model.class_uid == 2004
        assert model.finding_info.uid == event["finding_info"]["uid"]
        assert int(model.severity_id) == event["severity_id"]
        assert model.metadata.version == "1.3.0"


def test_a_not_applicable_finding_validates_too(
    curated: ScanResult, validator: jsonschema.protocols.Validator
) -> None:
    finding = replace(curated.findings[0], status="not_applicable")
    event = ocsf.detection_finding(finding, curated)
    assert (event["status_id"], event["severity_id"]) == (99, 1)
    assert list(validator.iter_errors(event)) == []
    DetectionFinding.model_validate(event)
