"""Where the vendors' official OpenAPI specs are, for the spec-conformance tests.

The subsets the tests read are vendored in ``tests/specs/`` (each folder's ``SOURCE.txt`` names
the upstream repository, commit and licence; ``tests/specs/extract.py`` rebuilds them from the
full upstream files), so a fresh clone runs every spec test. ``CREDAUDIT_SPECS_DIR`` overrides,
e.g. to check against a newer or full upstream copy laid out the same way. A missing spec is a
skip; ``CREDAUDIT_REQUIRE_SPECS=1`` (set by CI) turns it into a failure, so conformance is never
silently untested.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[1]


def specs_dir() -> Path:
    override = os.environ.get("CREDAUDIT_SPECS_DIR")
    if override:
        return Path(override)
    return _REPO / "tests" / "specs"


def require(path: Path) -> None:
    """Skip (or, in CI, fail) when ``path`` is missing."""
    if path.exists():
        return
    message = f"the vendor spec is not at {path} (set CREDAUDIT_SPECS_DIR)"
    if os.environ.get("CREDAUDIT_REQUIRE_SPECS") == "1":
        pytest.fail(message)
    pytest.skip(message)
