"""Where the vendors' official OpenAPI specs are, for the spec-conformance tests.

They live in the shared folder beside the repository (``../shared/specs``), as CI lays it out;
``CREDAUDIT_SPECS_DIR`` overrides. A developer without them gets a skip; CI sets
``CREDAUDIT_REQUIRE_SPECS=1``, which turns a missing spec into a failure, so conformance is never
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
    in_repo = _REPO / "specs"
    return in_repo if in_repo.is_dir() else _REPO.parent / "shared" / "specs"


def require(path: Path) -> None:
    """Skip (or, in CI, fail) when ``path`` is missing."""
    if path.exists():
        return
    message = f"the vendor spec is not at {path} (set CREDAUDIT_SPECS_DIR)"
    if os.environ.get("CREDAUDIT_REQUIRE_SPECS") == "1":
        pytest.fail(message)
    pytest.skip(message)
