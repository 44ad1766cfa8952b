"""Regenerate ``detection_finding-1.3.0.schema.json`` (see SOURCE.txt). Not run by the tests: it
needs ``ocsf-json-schema`` (MIT), which is not a credaudit dependency. In a scratch virtualenv::

    pip install ocsf-json-schema==1.2.0
    python tests/specs/ocsf/generate.py
"""

from __future__ import annotations

import json
from pathlib import Path

from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent
VERSION = "1.3.0"
CLASS_UID = 2004  # Detection Finding, what reports/ocsf.py emits
PROFILES: list[str] = []  # reports/ocsf.py sets no metadata.profiles


def main() -> None:
    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=VERSION))
    name = schema.lookup_class_name_from_uid(class_uid=CLASS_UID)
    document = schema.get_class_schema(class_name=name, profiles=PROFILES)
    out = HERE / f"{name}-{VERSION}.schema.json"
    out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
