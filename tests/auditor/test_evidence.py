"""Evidence bundles: contents, determinism, tamper detection, signatures, unsafe archives,
secret redaction and re-evaluation from a saved inventory."""

from __future__ import annotations

import base64
import json
import stat
import warnings
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import policies
from auditor.app.bundlecheck import verify_bundle
from auditor.app.config import load_config
from auditor.app.engine import ScanPlan, plan_for, run_scan
from auditor.app.evidence import (
    MANIFEST,
    PUBLIC_KEY,
    REDACTED,
    SIGNATURE,
    bundle_entries,
    bundle_files,
    redact_config,
    write_bundle,
    write_zip,
)
from auditor.app.reperform import inventories_from_document, reevaluate
from auditor.app.sandbox import Simulation
from auditor.app.signing import fingerprint_key, load_public_key, load_signing_key
from auditor.kernel.errors import EvidenceError
from auditor.kernel.model import ScanResult
from providers.base import ClientFactory
from reports import FORMATS
from reports.json import to_document

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
WAIVERS = [
    {
        "id": "W-1",
        "rule": "stale",
        "match": {"tenant": "sandbox-c1", "credential_id": "c04-eager-10021"},
        "reason": "batch job",
        "approved_by": "jane.doe@example.com",
        "approved_at": "2026-10-01",
        "expires": "2027-03-31",
    }
]


@pytest.fixture(scope="module")
def simulation() -> Simulation:
    return Simulation(as_of=AS_OF)


@pytest.fixture(scope="module")
def plan(simulation: Simulation) -> ScanPlan:
    tenants, _ = simulation.in_process()
    names = [t.name for t in tenants]
    policy = policies.load_policy(None, tenants=names, base_dir=Path.cwd())
    waivers = policies.load_waivers(WAIVERS, base_dir=Path.cwd(), known_rules=policy.rule_ids)
    return plan_for(tenants, policy, waivers)


@pytest.fixture(scope="module")
def result(plan: ScanPlan, simulation: Simulation) -> ScanResult:
    _, router = simulation.in_process()
    clock = iter([AS_OF, AS_OF + timedelta(seconds=5)])
    return run_scan(
        plan,
        AS_OF,
        clients=ClientFactory(transport=router),
        scan_id="0123456789abcdef0123456789abcdef",
        now=lambda: next(clock),
    )


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rebuild(path: Path, files: Mapping[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def altered(data: bytes) -> bytes:
    """Change one digit (else a letter's case) in the second half: keeps JSON, base64 and PEM
    well-formed and the size unchanged."""
    half = range(len(data) // 2, len(data))
    for index in half:
        if chr(data[index]).isdigit():
            digit = (data[index] - 0x30 + 1) % 10 + 0x30
            return data[:index] + bytes([digit]) + data[index + 1 :]
    for index in half:
        if chr(data[index]).isalpha():
            return data[:index] + chr(data[index]).swapcase().encode() + data[index + 1 :]
    raise AssertionError("nothing to alter")


def test_bundle_holds_every_format_policy_waivers_config_coverage(
    result: ScanResult, plan: ScanPlan, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "evidence.zip"
    write_bundle(target, result, waivers=plan.waivers)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["evidence.zip"]  # no temp file left
    files = entries(target)
    report_names = {f"reports/{n}" for r in FORMATS.values() for n in r(result)}
    assert set(files) == {
        MANIFEST,
        "policy.json",
        "waivers.json",
        "config.json",
        "coverage.json",
        *report_names,
    }
    assert "reports/results.json" in files
    assert next(iter(files)) == MANIFEST
    assert list(files)[1:] == sorted(list(files)[1:])
    manifest = json.loads(files[MANIFEST])
    assert manifest["format"] == "credaudit-evidence/1"
    assert manifest["scan"] == {
        "id": "0123456789abcdef0123456789abcdef",
        "started_at": "2026-11-24T00:00:00Z",
        "finished_at": "2026-11-24T00:00:05Z",
        "as_of": "2026-11-24T00:00:00Z",
        "status": "complete",
    }
    assert manifest["tool"]["name"] == "credaudit"
    assert manifest["python"].count(".") == 2
    assert [(t["tenant"], t["provider"], t["base_url"]) for t in manifest["tenants"]] == [
        ("sandbox-c1", "conductorone", "https://demo.conductor.one"),
        ("sandbox-isc", "sailpoint", "https://demo.api.identitynow.com"),
    ]
    assert set(manifest["files"]) == set(files) - {MANIFEST}
    assert "signature" not in manifest
    waivers = json.loads(files["waivers.json"])
    assert waivers["definitions"][0]["id"] == "W-1"
    assert waivers["definitions"][0]["approved_by"] == "jane.doe@example.com"
    assert waivers["status"][0]["state"] == "active"
    assert json.loads(files["policy.json"]) == json.loads(json.dumps(result.evaluation.policy))
    assert json.loads(files["config.json"])["configuration"] is None
    assert len(json.loads(files["coverage.json"])) == 2
    report = verify_bundle(target)
    assert report.ok
    assert report.files == len(files) - 1
    assert (report.signer, report.self_asserted) == (None, False)


def test_same_scan_same_bytes(result: ScanResult, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    write_zip(tmp_path / "a.zip", bundle_files(result, signing_key=key))
    write_zip(tmp_path / "b.zip", bundle_files(result, signing_key=key))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.fixture
def signed(result: ScanResult, key: Ed25519PrivateKey, tmp_path: Path) -> Path:
    target = tmp_path / "signed.zip"
    write_bundle(target, result, signing_key=key)
    return target


def test_signed_bundle_verifies(signed: Path, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    files = entries(signed)
    assert list(files)[:3] == [MANIFEST, SIGNATURE, PUBLIC_KEY]
    manifest = json.loads(files[MANIFEST])
    expected = fingerprint_key(key.public_key())
    assert manifest["signature"] == {"algorithm": "Ed25519", "public_key_sha256": expected}
    assert len(base64.b64decode(files[SIGNATURE])) == 64

    self_checked = verify_bundle(signed)
    assert (self_checked.ok, self_checked.signer, self_checked.self_asserted) == (
        True,
        expected,
        True,
    )
    pem = tmp_path / "pub.pem"
    pem.write_bytes(files[PUBLIC_KEY])
    required = verify_bundle(signed, load_public_key(pem))
    assert (required.ok, required.signer, required.self_asserted) == (True, expected, False)

    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))).public_key()
    wrong = verify_bundle(signed, other)
    assert wrong.problems == (
        "altered: manifest.json or manifest.sig (no valid signature by the given public key)",
    )


def test_tampering_any_file_of_a_signed_bundle_names_it(signed: Path, tmp_path: Path) -> None:
    original = entries(signed)
    for name in original:
        tampered = tmp_path / f"tampered-{name.replace('/', '_')}.zip"
        rebuild(tampered, {**original, name: altered(original[name])})
        try:
            report = verify_bundle(tampered)
        except EvidenceError as exc:
            refused: str | None = str(exc)
        else:
            refused = None
        if refused is not None:
            # an altered digit may land in the manifest's own structure ("sha256" -> "sha266"):
            # unreadable, and said so, naming it
            assert name == MANIFEST and MANIFEST in refused, (name, refused)
            continue
        assert not report.ok, name
        assert any(name in problem for problem in report.problems), (name, report.problems)
        if name not in (MANIFEST, SIGNATURE, PUBLIC_KEY):
            assert report.problems == (
                f"altered: {name} (SHA-256 or size differs from manifest.json)",
            )


def test_tampering_any_file_of_an_unsigned_bundle_names_it(
    result: ScanResult, tmp_path: Path
) -> None:
    target = tmp_path / "unsigned.zip"
    write_bundle(target, result)
    original = bundle_entries(target)
    for name in original:
        if name == MANIFEST:
            continue  # without a signature the manifest vouches only for the other files
        tampered = tmp_path / "tampered.zip"
        rebuild(tampered, {**original, name: altered(original[name])})
        assert verify_bundle(tampered).problems == (
            f"altered: {name} (SHA-256 or size differs from manifest.json)",
        )


def test_missing_and_extra_files_are_named(result: ScanResult, tmp_path: Path) -> None:
    target = tmp_path / "b.zip"
    write_bundle(target, result)
    files = bundle_entries(target)
    files.pop("policy.json")
    files["reports/extra.txt"] = b"hello"
    rebuild(target, files)
    assert verify_bundle(target).problems == ("missing: policy.json", "extra: reports/extra.txt")


def test_forged_manifest_with_a_wrong_signature_fails(
    signed: Path, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    files = entries(signed)
    manifest = json.loads(files[MANIFEST])
    manifest["scan"]["as_of"] = "2026-01-01T00:00:00.000000Z"
    forged = {**files, MANIFEST: json.dumps(manifest).encode()}
    target = tmp_path / "forged.zip"
    rebuild(target, forged)
    assert verify_bundle(target).problems == (
        "altered: manifest.json or manifest.sig (no valid signature by the key in manifest.pub)",
    )
    # re-signed by another key that also replaces manifest.pub: only self-asserted, and a
    # required public key exposes it
    mallory = Ed25519PrivateKey.from_private_bytes(b"m" * 32)
    manifest["signature"]["public_key_sha256"] = fingerprint_key(mallory.public_key())
    raw = json.dumps(manifest).encode()
    forged = {
        **files,
        MANIFEST: raw,
        SIGNATURE: base64.b64encode(mallory.sign(raw)),
        PUBLIC_KEY: mallory.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    rebuild(target, forged)
    self_asserted = verify_bundle(target)
    assert self_asserted.ok and self_asserted.self_asserted
    assert not verify_bundle(target, key.public_key()).ok
    # a manifest.pub that is not the key the manifest records
    rebuild(target, {**forged, PUBLIC_KEY: files[PUBLIC_KEY]})
    assert verify_bundle(target).problems == (
        "altered: manifest.pub (not the key manifest.json records)",
    )


def test_stripped_signature(signed: Path, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    files = entries(signed)
    target = tmp_path / "stripped.zip"
    rebuild(target, {n: d for n, d in files.items() if n != SIGNATURE})
    assert verify_bundle(target).problems == (
        "missing: manifest.sig (manifest.json says it is signed)",
    )
    unsigned = tmp_path / "unsigned.zip"
    rebuild(unsigned, {n: d for n, d in files.items() if n not in (SIGNATURE, PUBLIC_KEY)})
    assert verify_bundle(unsigned, key.public_key()).problems == (
        "missing: manifest.sig (manifest.json says it is signed)",
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "path traversal"),
        ("reports/../../evil.txt", "path traversal"),
        ("/etc/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
        ("reports\\..\\evil.txt", "backslash"),
        ("reports/", "folder entry"),
        ("a//b", "path traversal"),
    ],
)
def test_unsafe_names_are_rejected_without_extracting(
    result: ScanResult, tmp_path: Path, name: str, reason: str
) -> None:
    target = tmp_path / "bad.zip"
    write_bundle(target, result)
    files = bundle_entries(target)
    with zipfile.ZipFile(target, "a") as archive:
        archive.writestr(zipfile.ZipInfo(name), b"pwned")
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(EvidenceError, match=reason):
        verify_bundle(target)
    assert sorted(tmp_path.rglob("*")) == before
    assert files  # the bundle itself was fine


def test_duplicate_and_symlink_entries_are_rejected(result: ScanResult, tmp_path: Path) -> None:
    target = tmp_path / "dup.zip"
    write_bundle(target, result)
    files = bundle_entries(target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(target, "a") as archive:
            archive.writestr("policy.json", files["policy.json"])
    with pytest.raises(EvidenceError, match=r"duplicate entry 'policy\.json'"):
        verify_bundle(target)
    rebuild(target, {**files, "POLICY.JSON": b"{}"})
    with pytest.raises(EvidenceError, match=r"duplicate entry 'POLICY\.JSON'"):
        verify_bundle(target)
    rebuild(target, files)
    link = zipfile.ZipInfo("reports/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(target, "a") as archive:
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(EvidenceError, match="symbolic link"):
        verify_bundle(target)


def test_not_a_bundle(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(EvidenceError, match="not a readable zip archive"):
        verify_bundle(junk)
    rebuild(junk, {"a.txt": b"x"})
    with pytest.raises(EvidenceError, match=r"no manifest\.json"):
        verify_bundle(junk)
    rebuild(junk, {MANIFEST: b"[]"})
    with pytest.raises(EvidenceError, match="no valid `files` table"):
        verify_bundle(junk)


CONFIG = """
tenants:
  - name: acme-isc
    provider: sailpoint
    base_url: https://acme.api.identitynow.com
    client_id_env: SAIL_ID_VAR
    client_secret_env: SAIL_SECRET_VAR
  - name: acme-c1
    provider: conductorone
    client_id: literal-client-id
    client_secret_file: secrets/c1.secret
notify: {webhook_url_env: HOOK_VAR}
evidence: {signing_key_file: keys/signing.pem}
"""
SECRETS = {
    "SAIL_ID_VAR": "sail-client-id-0001",
    "SAIL_SECRET_VAR": "S3cret-Value-From-Env-0001",
    "HOOK_VAR": "https://hooks.example.com/secret-path-0003",
}
FILE_SECRET = "File-Secret-Value-0002"


def test_config_is_redacted_and_no_secret_reaches_the_bundle(
    result: ScanResult, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "c1.secret").write_text(FILE_SECRET)
    config_path = tmp_path / "config.yaml"
    config_path.write_text(CONFIG)
    loaded = load_config(config_path, env=SECRETS)
    redacted = redact_config(loaded.config)
    isc, c1 = redacted["tenants"]
    assert (isc["client_id_env"], isc["client_secret_env"], isc["client_secret_file"]) == (
        REDACTED,
        REDACTED,
        None,
    )
    assert (c1["client_id"], c1["client_secret_file"]) == ("literal-client-id", REDACTED)
    assert isc["base_url"] == "https://acme.api.identitynow.com"
    assert redacted["notify"]["webhook_url_env"] == REDACTED
    assert redacted["evidence"] == {"signing_key_file": REDACTED}

    secrets = [*SECRETS.values(), FILE_SECRET]
    target = tmp_path / "evidence.zip"
    write_bundle(target, result, config=loaded.config, signing_key=key, secrets=secrets)
    forbidden = [*secrets, *SECRETS, "secrets/c1.secret", "keys/signing.pem", "c1.secret"]
    blobs = [*entries(target).values(), target.read_bytes()]
    for needle in forbidden:
        assert not any(needle.encode() in blob for blob in blobs), needle
    assert json.loads(entries(target)["config.json"]) == redacted


def test_a_secret_in_any_file_is_withheld_from_the_bundle(
    result: ScanResult, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    from auditor.kernel.withhold import WITHHELD_NOTE

    leaked = result.credentials[0].id  # pretend a secret equals text found in the reports
    assert len(leaked) >= 12
    target = tmp_path / "e.zip"
    write_bundle(target, result, secrets=[leaked], signing_key=key)
    files = entries(target)
    for name, data in files.items():
        assert leaked.lower().encode() not in data.lower(), name
    coverage = json.loads(files["coverage.json"])
    tenant = result.credentials[0].tenant
    assert any(c["tenant"] == tenant and WITHHELD_NOTE in c["notes"] for c in coverage)
    verify_bundle(target, key.public_key())  # the hashes are of what was written


def test_signing_keys_load_from_pem_and_openssh(key: Ed25519PrivateKey, tmp_path: Path) -> None:
    pem = tmp_path / "k.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ssh = tmp_path / "k.ssh"
    ssh.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    expected = fingerprint_key(key.public_key())
    assert fingerprint_key(load_signing_key(pem).public_key()) == expected
    assert fingerprint_key(load_signing_key(ssh).public_key()) == expected
    line = tmp_path / "k.pub"
    line.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    )
    assert fingerprint_key(load_public_key(line)) == expected
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(EvidenceError, match="is not an Ed25519 key"):
        load_signing_key(ec_key)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hunter2-not-a-key")
    with pytest.raises(EvidenceError, match="not an unencrypted Ed25519 private key") as info:
        load_signing_key(garbage)
    assert "hunter2" not in str(info.value)
    with pytest.raises(EvidenceError, match="cannot read the signing key"):
        load_signing_key(tmp_path / "absent.pem")


def findings_set(result: ScanResult) -> set[tuple[str, str, str]]:
    return {(f.fingerprint, f.status, f.message) for f in result.findings}


def test_reevaluation_from_inventory_matches_the_scan(result: ScanResult, plan: ScanPlan) -> None:
    document: Any = json.loads(json.dumps(to_document(result)))
    again = reevaluate(document, plan)
    assert findings_set(again) == findings_set(result)
    assert again.scan.as_of == AS_OF
    assert again.scan.id != result.scan.id
    assert again.credentials == result.credentials
    assert again.evaluation.waivers == result.evaluation.waivers
    assert again.evaluation.result_counts == result.evaluation.result_counts
    assert again.coverage[0].notes[-1] == (
        "re-evaluated from the saved inventory of scan 0123456789abcdef0123456789abcdef; "
        "no vendor was contacted"
    )
    later = reevaluate(document, plan, as_of=AS_OF + timedelta(days=400))
    assert findings_set(later) != findings_set(result)
    assert later.scan.as_of == AS_OF + timedelta(days=400)


def test_inventory_documents_are_validated(result: ScanResult) -> None:
    document: Any = json.loads(json.dumps(to_document(result)))
    inventories, as_of, scan_id = inventories_from_document(document)
    assert [len(i.credentials) for i in inventories] == [
        c.credential_count for c in result.coverage
    ]
    assert (as_of, scan_id) == (AS_OF, result.scan.id)
    owner = document["tables"]["owners"][document["credentials"][3]["owner"]]
    owner["status"] = "sleeping"
    with pytest.raises(EvidenceError, match=r"results.json: owner.status: Input should be"):
        inventories_from_document(document)
    owner["status"] = "active"
    document["credentials"][3]["owner"] = len(document["tables"]["owners"])
    with pytest.raises(EvidenceError, match="refer to tables entries it does not have"):
        inventories_from_document(document)
    document["credentials"][3]["owner"] = 0
    document["credentials"][3]["tenant"] = "elsewhere"
    with pytest.raises(EvidenceError, match="credential of unknown tenant 'elsewhere'"):
        inventories_from_document(document)
    with pytest.raises(EvidenceError, match="not a JSON object"):
        inventories_from_document([])
    with pytest.raises(EvidenceError, match="no valid `scan` section"):
        inventories_from_document({"coverage": [], "credentials": []})


def _forged_zip() -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as forged:
        forged.writestr("reports/report.md", "# All clear: 0 findings\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("prepend", "unexpected bytes at offset 0 before entry"),
        ("append", "unexpected bytes after the end of the archive"),
        ("comment", "the zip carries a comment"),
    ],
)
def test_bytes_outside_the_entries_are_tampering(
    signed: Path, key: Ed25519PrivateKey, tmp_path: Path, how: str, message: str
) -> None:
    # zipfile itself reads these archives happily (the signature still verifies), while
    # streaming unzip tools show the forged content: verify must refuse them
    target = tmp_path / f"{how}.zip"
    data = signed.read_bytes()
    if how == "prepend":
        target.write_bytes(_forged_zip() + data)
    elif how == "append":
        target.write_bytes(data + b"approved by the auditor")
    else:
        target.write_bytes(data)
        with zipfile.ZipFile(target, "a") as archive:
            archive.comment = b"approved by the auditor"
    with zipfile.ZipFile(target) as archive:  # still a readable zip to Python ...
        assert MANIFEST in archive.namelist()
    with pytest.raises(EvidenceError, match=message):  # ... but not a bundle we wrote
        verify_bundle(target, key.public_key())


@pytest.mark.parametrize("secret", ['quote"and\\backslash-secret', "amp&lt<secret>value"])
def test_escaped_forms_of_a_secret_are_caught_too(
    result: ScanResult, tmp_path: Path, secret: str
) -> None:
    leaked = result.model_copy(
        update={"coverage": (result.coverage[0].model_copy(update={"error": f"x {secret}"}),)}
    )
    from auditor.kernel.secretmatch import forms

    write_bundle(tmp_path / "b.zip", leaked, secrets=[secret])
    for data in entries(tmp_path / "b.zip").values():
        for form in forms(secret):
            assert form.encode() not in data


def _flip_compressed_byte(source: Path, target: Path, name: str, at: float) -> None:
    """A copy of ``source`` with one byte of ``name``'s compressed data inverted."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(name)
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28],
                                         "little"), int.from_bytes(
        data[info.header_offset + 28 : info.header_offset + 30], "little"
    )  # fmt: skip
    start = info.header_offset + 30 + name_len + extra_len
    data[start + int(info.compress_size * at)] ^= 0xFF
    target.write_bytes(bytes(data))


@pytest.mark.parametrize("at", [0.0, 0.5, 0.99])
def test_a_flipped_compressed_byte_names_the_entry_and_fails_verification(
    signed: Path, tmp_path: Path, at: float
) -> None:
    from click.testing import CliRunner

    from auditor.cli import cli
    from auditor.kernel.errors import EXIT_USAGE

    for name in entries(signed):
        damaged = tmp_path / "damaged.zip"
        _flip_compressed_byte(signed, damaged, name, at)
        outcome = CliRunner().invoke(cli, ["-q", "verify", str(damaged)])
        assert outcome.exit_code == EXIT_USAGE == EvidenceError.exit_code, (name, outcome.output)
        assert "internal error" not in outcome.output
        assert f"altered: {name} (corrupt zip entry" in outcome.output, (name, outcome.output)
