"""``results.json``: the whole scan, versioned, for machines (DESIGN.md "Output files").

Top-level keys: ``schema_version``, ``tool``, ``scan``, ``coverage``, ``policy``, ``summary``,
``credentials`` (every credential evaluated), ``findings`` (every non-pass result), ``waivers``,
plus ``result_counts``, ``constraint_gaps`` and ``resolved``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor.model import ScanResult

FILE_NAME = "results.json"


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
        "waivers": evaluation["waivers"],
        "result_counts": evaluation["result_counts"],
        "constraint_gaps": evaluation["constraint_gaps"],
        "resolved": data["resolved"],
    }


def render(result: ScanResult) -> Mapping[str, str]:
    text = json.dumps(to_document(result), indent=2, ensure_ascii=False, sort_keys=False)
    return {FILE_NAME: text + "\n"}
