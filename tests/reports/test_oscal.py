"""``-f oscal``: OSCAL 1.1.3 assessment-results, validated by an independent implementation of the
OSCAL models (compliance-trestle 3.x, generated from NIST's 1.1.3 metaschema), and checked for
what an assessor relies on: every credential a subject, every failing / manual / waived result a
finding on its NIST SP 800-53 r5 control objectives, waivers as risks, nothing reading as a pass,
references that resolve, and hashes that tie the document to its data and to the evidence bundle.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from auditor.app.evidence import MANIFEST, bundle_files
from auditor.kernel.model import ScanResult
from auditor.kernel.timestamps import format_timestamp
from reports import json as json_format
from reports import oscal, render
from tests.reports.conftest import replace

NS = "https://credaudit.invalid/ns/oscal"


def validate(doc: dict[str, Any]) -> Any:
    """Parse with trestle's OSCAL 1.1.3 models (extra keys forbidden, patterns and enums checked).
    Raises on any deviation."""
    from trestle.oscal import OSCAL_VERSION
    from trestle.oscal.assessment_results import Model

    assert OSCAL_VERSION == doc["assessment-results"]["metadata"]["oscal-version"] == "1.1.3"
    return Model.parse_obj(doc)


def doc_of(result: ScanResult) -> dict[str, Any]:
    text = render("oscal", result)[oscal.FILE_NAME]
    document: dict[str, Any] = json.loads(text)
    return document


def props(item: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in item.get("props", ()) if p.get("ns") == NS}


@pytest.mark.parametrize("which", ["curated", "rich"])
def test_validates_with_trestle(which: str, request: pytest.FixtureRequest) -> None:
    result: ScanResult = request.getfixturevalue(which)
    model = validate(doc_of(result))
    assert len(model.assessment_results.results) == 1


def test_a_malformed_document_is_refused_by_the_validator(curated: ScanResult) -> None:
    """The validator is not a rubber stamp: the mistakes a hand-built document makes fail it."""
    good = doc_of(curated)
    bad_state = json.loads(json.dumps(good))
    finding = bad_state["assessment-results"]["results"][0]["findings"][0]
    finding["target"]["status"]["state"] = "failed"
    missing = json.loads(json.dumps(good))
    del missing["assessment-results"]["import-ap"]
    bad_uuid = json.loads(json.dumps(good))
    bad_uuid["assessment-results"]["uuid"] = "not-a-uuid"
    for doc in (bad_state, missing, bad_uuid):
        with pytest.raises(Exception, match="validation error"):
            validate(doc)


def test_every_credential_is_a_subject(rich: ScanResult) -> None:
    result_doc = doc_of(rich)["assessment-results"]["results"][0]
    items = {i["uuid"]: i for i in result_doc["local-definitions"]["inventory-items"]}
    assert len(items) == len(rich.credentials)
    subjects = [s for o in result_doc["observations"] for s in o.get("subjects", ())]
    assert {s["subject-uuid"] for s in subjects} == set(items)
    assert {s["type"] for s in subjects} == {"inventory-item"}
    ids = {(props(i)["tenant"], props(i)["credential-id"]) for i in items.values()}
    assert ids == {(c.tenant, c.id) for c in rich.credentials}


def test_every_open_result_is_a_finding_on_its_nist_controls(rich: ScanResult) -> None:
    result_doc = doc_of(rich)["assessment-results"]["results"][0]
    findings = result_doc["findings"]
    open_results = [f for f in rich.findings if f.status in ("fail", "manual", "waived")]
    by_fp = Counter(props(f)["fingerprint"] for f in findings)
    assert set(by_fp) == {f.fingerprint for f in open_results}
    nist = {c.ref: c.control_id for c in rich.evaluation.controls if c.ref.startswith("NIST")}
    for f in open_results:
        mapped = sorted({oscal.control_id(nist[c]) for c in f.controls if c in nist})
        assert by_fp[f.fingerprint] == max(1, len(mapped)), f.rule_id
    targets = {(props(f)["fingerprint"], f["target"]["target-id"]) for f in findings if f["target"]}
    stale = next(f for f in open_results if f.rule_id == "stale")
    # compliance.yaml: stale supports AC-2, AC-2(3) and AC-6(7) (among others)
    for objective in ("ac-2_obj", "ac-2.3_obj", "ac-6.7_obj"):
        assert (stale.fingerprint, objective) in targets
    # never a pass: no finding is satisfied; manual and waived say "other", fail says "fail"
    reasons = {(props(f)["status"], f["target"]["status"]["reason"]) for f in findings}
    assert {f["target"]["status"]["state"] for f in findings} == {"not-satisfied"}
    assert reasons <= {("fail", "fail"), ("manual", "other"), ("waived", "other")}
    assert ("manual", "other") in reasons and ("waived", "other") in reasons
    reviewed = result_doc["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert {"control-id": "ac-2.3"} in reviewed and {"control-id": "ia-5.1"} not in reviewed


def test_control_ids_as_the_nist_catalog_spells_them() -> None:
    assert oscal.control_id("AC-2") == "ac-2"
    assert oscal.control_id("AC-2(3)") == "ac-2.3"
    assert oscal.control_id("IA-5(13)") == "ia-5.13"


def test_waivers_are_risks_linked_from_their_findings(rich: ScanResult) -> None:
    result_doc = doc_of(rich)["assessment-results"]["results"][0]
    risks = {r["uuid"]: r for r in result_doc["risks"]}
    by_waiver = {props(r)["waiver-id"]: r for r in risks.values()}
    assert set(by_waiver) == {w.id for w in rich.evaluation.waivers}
    for w in rich.evaluation.waivers:
        risk = by_waiver[w.id]
        assert risk["deadline"] == format_timestamp(w.expires)
        assert props(risk)["approved-by"] == w.approved_by
        assert risk["status"] == oscal.RISK_STATUS[w.state]
    assert {r["status"] for r in risks.values()} >= {"deviation-approved", "open"}
    waived = [f for f in result_doc["findings"] if props(f)["status"] == "waived"]
    assert waived and all(f["related-risks"][0]["risk-uuid"] in risks for f in waived)


def test_references_resolve(rich: ScanResult) -> None:
    ar = doc_of(rich)["assessment-results"]
    result_doc = ar["results"][0]
    observations = {o["uuid"] for o in result_doc["observations"]}
    for f in result_doc["findings"]:
        for rel in f.get("related-observations", ()):
            assert rel["observation-uuid"] in observations
    resources = {r["uuid"] for r in ar["back-matter"]["resources"]}
    assert ar["import-ap"]["href"].removeprefix("#") in resources
    uuids = [
        x["uuid"]
        for x in (
            *result_doc["observations"],
            *result_doc["findings"],
            *result_doc["risks"],
            *ar["back-matter"]["resources"],
        )
    ]
    assert len(uuids) == len(set(uuids))


def test_incomplete_tenants_are_said_never_passed(rich: ScanResult) -> None:
    result_doc = doc_of(rich)["assessment-results"]["results"][0]
    incomplete = [c for c in rich.coverage if c.status != "complete"]
    assert incomplete
    titles = [o["title"] for o in result_doc["observations"]]
    for cov in incomplete:
        assert f"Tenant {cov.tenant} collected {cov.status}" in titles
    assert "Incomplete scan" in result_doc["remarks"]


def test_standalone_back_matter_hashes_results_json(curated: ScanResult) -> None:
    ar = doc_of(curated)["assessment-results"]
    (resource,) = [r for r in ar["back-matter"]["resources"] if "rlinks" in r]
    (link,) = resource["rlinks"]
    expected = hashlib.sha256(json_format.render(curated)["results.json"].encode()).hexdigest()
    assert link == {
        "href": "results.json",
        "hashes": [{"algorithm": "SHA-256", "value": expected}],
    }


def test_the_evidence_bundle_holds_it_with_the_bundle_hashes(curated: ScanResult) -> None:
    files = bundle_files(curated)
    doc = json.loads(files[f"reports/{oscal.FILE_NAME}"])
    validate(doc)
    links = {
        link["href"]: link["hashes"][0]["value"]
        for r in doc["assessment-results"]["back-matter"]["resources"]
        for link in r.get("rlinks", ())
    }
    manifest = json.loads(files[MANIFEST])["files"]
    others = {n for n in manifest if n != f"reports/{oscal.FILE_NAME}"}
    assert set(links) == others  # every other entry, by the name the manifest uses
    assert all(links[n] == manifest[n]["sha256"] for n in others)


def test_same_scan_same_bytes_and_vendor_text_visible(curated: ScanResult) -> None:
    assert render("oscal", curated) == render("oscal", curated)
    cred = curated.credentials[0]
    hostile = replace(cred, name="admin\u202e\ufeffkey  \n")
    changed = replace(curated, credentials=(hostile, *curated.credentials[1:]))
    text = render("oscal", changed)[oscal.FILE_NAME]
    assert "\u202e" not in text and "\ufeff" not in text and "<U+202E>" in text
    validate(json.loads(text))
    pieces = list(oscal.stream(curated)[oscal.FILE_NAME])
    assert len(pieces) > 1 and "".join(pieces) == render("oscal", curated)[oscal.FILE_NAME]


def _variants(result: ScanResult) -> dict[str, ScanResult]:
    complete = tuple(replace(c, status="complete") for c in result.coverage)
    no_findings = replace(result.evaluation, findings=())
    return {
        "as is": result,
        "no credentials": replace(result, credentials=()),
        "no findings": replace(result, evaluation=no_findings),
        "nothing": replace(result, credentials=(), evaluation=no_findings),
        "nothing, complete": replace(
            result,
            credentials=(),
            evaluation=replace(no_findings, waivers=()),
            coverage=complete,
            scan=replace(result.scan, status="complete"),
        ),
    }


@pytest.mark.parametrize("which", ["curated", "rich"])
def test_the_stream_is_the_document_as_json_dumps_writes_it(
    which: str, request: pytest.FixtureRequest
) -> None:
    """The document is streamed (its population-sized arrays made as they are written), and the
    text is byte for byte ``json.dumps(document, indent=2)``: empty arrays and objects, absent
    optional parts, attachments given as bytes or digests."""
    for name, result in _variants(request.getfixturevalue(which)).items():
        given: dict[str, bytes | oscal.Digest] = {"b.json": b"{}", "a.csv": oscal.Digest("0" * 64)}
        for attachments in (None, given):
            expected = json.dumps(oscal.document(result, attachments), indent=2, ensure_ascii=False)
            text = "".join(oscal.chunks(result, attachments))
            assert text == expected + "\n", name
            validate(json.loads(text))


def test_the_default_attachment_is_results_json_hashed_as_it_streams(curated: ScanResult) -> None:
    doc = doc_of(curated)
    (resource,) = doc["assessment-results"]["back-matter"]["resources"][1:]
    whole = render("json", curated)[json_format.FILE_NAME].encode()
    assert resource["rlinks"][0]["href"] == json_format.FILE_NAME
    assert resource["rlinks"][0]["hashes"][0]["value"] == hashlib.sha256(whole).hexdigest()


def test_the_demo_writes_a_valid_document(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from auditor.cli import cli

    out = tmp_path / "demo"
    run = CliRunner().invoke(cli, ["demo", "-o", str(out), "--as-of", "2026-11-24T00:00:00Z"])
    assert run.exit_code == 0, run.output
    doc = json.loads((out / oscal.FILE_NAME).read_text(encoding="utf-8"))
    validate(doc)
    assert len(doc["assessment-results"]["results"][0]["findings"]) > 0
