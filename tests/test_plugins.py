"""A vendor is a plug-in: a separate package (``tests/plugins/example_vendor``) that declares a
``credaudit.providers`` entry point is found, configured, collected, judged and reported without
any edit to credaudit; a broken one is a clear configuration error, never a crash."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reports.json import load

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "plugins" / "example_vendor"
SECRET = "example-token-secret-value-0123456789"

CONFIG = """
tenants:
  - name: vault-prod
    provider: {provider}
    client_secret_env: EXAMPLE_SECRET   # a single-token vendor: no client id
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plug-in installed as a user would (pip, from its own pyproject), into a scratch
    folder rather than the shared environment."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    source = build / "example_vendor"  # a copy: the build leaves files beside its sources
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
            "--no-build-isolation", "--disable-pip-version-check", "--target", str(target),
            str(source),
        ],
        check=True, capture_output=True, cwd=build,
    )  # fmt: skip
    return target


def credaudit(args: list[str], site: Path | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["EXAMPLE_SECRET"] = SECRET
    # this checkout's credaudit (not whichever one is installed), plus the plug-in if given
    env["PYTHONPATH"] = os.pathsep.join([*([str(site)] if site is not None else []), str(ROOT)])
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_plugin_vendor_is_scanned_end_to_end(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "credaudit.yaml"
    config.write_text(CONFIG.format(provider="example"), encoding="utf-8")
    args = ["scan", "-c", str(config), "-o", str(tmp_path / "out"), "--as-of", "2026-11-24"]
    result = credaudit([*args, "--no-history", "-f", "json,markdown,csv,ocsf,html"], site, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # critical: inactive owner
    doc = load(json.loads((tmp_path / "out" / "results.json").read_text()))
    (coverage,) = doc["coverage"]
    assert (coverage["provider"], coverage["provider_label"], coverage["status"]) == (
        "example",
        "Example Vault",
        "complete",
    )
    assert coverage["credential_kind"] == "Example Vault API token"
    assert [c["id"] for c in doc["credentials"]] == ["tok-1", "tok-2", "tok-3"]
    verdicts = {(f["credential_id"], f["rule_id"]): f["status"] for f in doc["findings"]}
    assert verdicts[("tok-2", "no-expiry")] == "fail"
    assert verdicts[("tok-3", "inactive-owner")] == "fail"
    # the rule has no judgement for this vendor: manual, never a pass
    assert {verdicts[(f"tok-{n}", "privileged-access")] for n in (1, 2, 3)} == {"manual"}
    assert "vault-prod (Example Vault)" in (tmp_path / "out" / "report.md").read_text()
    ocsf = (tmp_path / "out" / "findings.ocsf.jsonl").read_text()
    assert '"type": "Example Vault API token"' in ocsf
    for name in ("results.json", "report.md", "report.html", "findings.csv"):
        assert SECRET not in (tmp_path / "out" / name).read_text()


def test_without_the_plugin_the_vendor_is_unknown(tmp_path: Path) -> None:
    config = tmp_path / "credaudit.yaml"
    config.write_text(CONFIG.format(provider="example"), encoding="utf-8")
    result = credaudit(["validate", "-c", str(config)], None, tmp_path)
    assert result.returncode == 2
    assert "tenants[0].provider: unknown provider 'example'" in result.stdout + result.stderr


def test_a_plugin_that_cannot_be_loaded_is_a_clear_error(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "credaudit.yaml"
    config.write_text(CONFIG.format(provider="broken"), encoding="utf-8")
    result = credaudit(["validate", "-c", str(config)], site, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "provider 'broken' is a plug-in that could not be loaded" in out
    assert "credaudit_example.missing:Nothing could not be imported" in out
    # the working plug-in and the built-in vendors are unaffected
    config.write_text(CONFIG.format(provider="example"), encoding="utf-8")
    assert credaudit(["validate", "-c", str(config)], site, tmp_path).returncode == 0


def test_a_built_in_vendor_still_needs_its_client_id(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "credaudit.yaml"
    text = CONFIG.format(provider="sailpoint") + "    base_url: https://acme.api.identitynow.com\n"
    config.write_text(text, encoding="utf-8")
    result = credaudit(["validate", "-c", str(config)], site, tmp_path)
    assert result.returncode == 2
    assert "set exactly one of client_id, client_id_env, client_id_file" in result.stdout + (
        result.stderr
    )


POLICY = """
policy:
  privileged-access: {{example_admin_scopes: {scopes}}}
"""


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # the judge's default parameter: tok-1's vault:admin scope is privileged
        ("", {"tok-1": "fail", "tok-2": "pass", "tok-3": "pass"}),
        # its parameter is a privileged-access parameter like the built-in vendors'
        (POLICY.format(scopes='["read"]'), {"tok-1": "fail", "tok-2": "fail", "tok-3": "fail"}),
        (POLICY.format(scopes="[]"), {"tok-1": "pass", "tok-2": "pass", "tok-3": "pass"}),
    ],
)
def test_a_plugin_vendor_declares_its_privilege_judgement(
    site: Path, tmp_path: Path, policy: str, expected: dict[str, str]
) -> None:
    config = tmp_path / "credaudit.yaml"
    config.write_text(CONFIG.format(provider="example-judged") + policy, encoding="utf-8")
    args = ["scan", "-c", str(config), "-o", str(tmp_path / "out"), "--as-of", "2026-11-24"]
    result = credaudit([*args, "--no-history", "-f", "json"], site, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    doc = load(json.loads((tmp_path / "out" / "results.json").read_text()))
    verdicts = {
        f["credential_id"]: f for f in doc["findings"] if f["rule_id"] == "privileged-access"
    }
    assert {n: verdicts[n]["status"] if n in verdicts else "pass" for n in expected} == expected
    if "tok-1" in verdicts:
        assert verdicts["tok-1"]["message"].startswith("administrative vault scope(s): ")
    parameters = doc["policy"]["rules"]["privileged-access"]["parameters"]
    assert list(parameters)[:1] == ["conductorone_roles"]  # the built-in vendors' come first
    assert "example_admin_scopes" in parameters
    (no_expiry,) = [f for f in doc["findings"] if f["rule_id"] == "no-expiry"]
    assert "Example Vault: set a TTL" in no_expiry["remediation"]


def test_a_parameter_of_no_installed_vendor_is_an_error(tmp_path: Path) -> None:
    """Without the plug-in its parameter is unknown: a located configuration error."""
    config = tmp_path / "credaudit.yaml"
    text = CONFIG.format(provider="sailpoint").replace(
        "    client_secret_env",
        "    client_id: x\n    base_url: https://a.api.identitynow.com\n    client_secret_env",
    ) + POLICY.format(scopes='["read"]')
    config.write_text(text, encoding="utf-8")
    result = credaudit(["validate", "-c", str(config)], None, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "policy.privileged-access.example_admin_scopes" in result.stdout + result.stderr
