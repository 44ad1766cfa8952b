"""``verify`` says plainly whether authenticity was checked, and can require a signature
(a regression test: a bundle whose signature was stripped and manifest re-hashed once verified,
exit 0)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_evidence_cli import run, sandbox, setup  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e


@pytest.fixture
def bundles(setup: tuple[Path, dict[str, str], Path], tmp_path: Path) -> tuple[Path, Path, Path]:  # noqa: F811
    config, env, public = setup
    signed = tmp_path / "bundle.zip"
    args = ["scan", "-c", str(config), "-o", str(tmp_path / "out"), "-f", "json"]
    scanned = run(
        [*args, "--as-of", "2026-11-24", "--fail-on", "never", "--evidence", str(signed)], env
    )
    assert scanned.exit_code == 0, scanned.output
    stripped = tmp_path / "stripped.zip"
    with zipfile.ZipFile(signed) as source, zipfile.ZipFile(stripped, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "manifest.json":  # the signature claim dropped, re-serialised
                manifest = json.loads(data)
                del manifest["signature"]
                data = json.dumps(manifest, indent=2).encode()
            if info.filename not in ("manifest.sig", "manifest.pub"):
                target.writestr(info.filename, data)
    return signed, stripped, public


def test_a_stripped_signature_fails_when_a_signature_is_required(
    bundles: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    signed, stripped, public = bundles
    plain = run(["verify", str(stripped)])
    assert plain.exit_code == 0, plain.output  # integrity only, and it says so
    assert "authenticity NOT checked" in plain.output
    required = run(["verify", str(stripped), "--require-signature"])
    assert required.exit_code == 2, required.output
    assert "no signature" in required.output and "FAILED" in required.output
    monkeypatch.setenv("CREDAUDIT_TRUSTED_KEY", str(public))  # a configured trusted key
    trusted = run(["verify", str(stripped)])
    assert trusted.exit_code == 2, trusted.output
    ok = run(["verify", str(signed)])
    assert ok.exit_code == 0, ok.output
    assert "authenticity checked" in ok.output


def test_a_self_asserted_signature_says_authenticity_was_not_checked(
    bundles: tuple[Path, Path, Path],
) -> None:
    signed, _, _ = bundles
    result = run(["verify", str(signed), "--require-signature"])
    assert result.exit_code == 0, result.output
    assert "authenticity NOT checked" in result.output
