"""``results.json``: the whole scan, versioned, for machines (docs/architecture.md "Output files").

Top-level keys: ``schema_version``, ``tool``, ``scan``, ``coverage``, ``policy``, ``summary``,
``credentials`` (every credential evaluated), ``findings`` (every fail, manual and waived
result), ``not_applicable`` (rules the vendor cannot express, counted per tenant, provider and
rule), ``waivers``, plus ``result_counts``, ``constraint_gaps``, ``controls`` and ``resolved``.

The document is versioned by ``schema_version`` (``ScanResult.schema_version``) and described
by the JSON Schema shipped beside this module, ``results.schema.json`` (draft 2020-12);
``tests/reports/test_json_schema.py`` validates real output against it, so a model change that
is not reflected in the schema fails the tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from auditor.kernel.model import ScanResult

FILE_NAME = "results.json"
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")
"""The JSON Schema of ``results.json`` (also for the evidence bundle to ship)."""


def to_document(result: ScanResult) -> dict[str, Any]:
    """The JSON document as Python data (also used by the evidence bundle)."""
    data = result.model_dump(mode="json")
    evaluation = data.pop("evaluation")
    return {
        "schema_version": data["schema_version"],
        "tool": data["tool"],
        "scan": data["scan"],
        "coverage": data["coverage"],
        "policy": evaluation["policy"],
        "summary": data["summary"],
        "credentials": data["credentials"],
        "findings": evaluation["findings"],
        "not_applicable": evaluation["not_applicable"],
        "waivers": evaluation["waivers"],
        "result_counts": evaluation["result_counts"],
        "constraint_gaps": evaluation["constraint_gaps"],
        "controls": evaluation["controls"],
        "resolved": data["resolved"],
    }


def render(result: ScanResult) -> Mapping[str, str]:
    text = json.dumps(to_document(result), indent=2, ensure_ascii=False, sort_keys=False)
    return {FILE_NAME: text + "\n"}
