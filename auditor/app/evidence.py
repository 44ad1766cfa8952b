"""Tamper-evident evidence bundles: written here (``write_bundle``), checked by
``auditor.app.bundlecheck.verify_bundle`` and re-performed by ``auditor.app.reperform.reevaluate``;
keys in ``auditor.app.signing``.

A bundle is a zip holding every report format registered in ``reports.FORMATS`` under
``reports/`` (the OSCAL document last: its back-matter lists the SHA-256 of every other entry),
the effective policy, the waivers (definitions and how each fared), the configuration with
every secret and secret *reference* redacted, the coverage, and ``manifest.json``: the SHA-256
and size of every other file plus the tool, Python version, scan and tenants. The manifest may
be signed with Ed25519 (``manifest.sig``, base64 over the exact manifest bytes;
``manifest.pub``, the signer's public key, whose SHA-256 fingerprint the signed manifest
records).

Why these choices: a fixed entry order and timestamps make the same scan produce the same bytes,
so two copies can be compared by hash; the zip is written to a temporary file beside the target
and renamed, so a reader never sees half a bundle; ``verify_bundle`` checks entry names before
reading any content and never extracts, because the bundle is exactly the kind of file an
attacker hands an auditor.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import platform
import stat
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.app.config import SECRET_KEYS, AuditConfig
from auditor.app.signing import fingerprint_key
from auditor.kernel.model import ScanResult
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.timestamps import format_timestamp
from auditor.kernel.withhold import withhold_model, withhold_text

MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "manifest.pub"
BUNDLE_FORMAT = "credaudit-evidence/1"
REDACTED = "[redacted]"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip epoch: entries carry no wall-clock time


def redact_config(config: AuditConfig | None) -> dict[str, Any]:
    """The configuration as data, with every ``*_env`` name, ``*_file`` path and secret-named
    key replaced by ``[redacted]``: an env name or key path tells an attacker where to look."""
    if config is None:
        return {"configuration": None, "note": "no configuration file was used"}

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                key: REDACTED
                if item is not None and (key.endswith(("_env", "_file")) or key in SECRET_KEYS)
                else walk(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    redacted: dict[str, Any] = walk(config.model_dump(mode="json"))
    return redacted


def _json(value: Any) -> bytes:
    def default(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return format_timestamp(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        return str(obj)

    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=default)
    return (text + "\n").encode()


# -- writing --------------------------------------------------------------------------------------


def _entries(
    result: ScanResult,
    config: AuditConfig | None,
    waivers: Sequence[Any],
    formats: Mapping[str, Callable[[ScanResult], Mapping[str, str]]],
) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for fmt, renderer in formats.items():
        if fmt == "oscal":
            continue  # last: its back-matter holds the hashes of every other entry
        for name, text in renderer(result).items():
            files[f"reports/{name}"] = text.encode()
    files["policy.json"] = _json(result.evaluation.policy)
    files["waivers.json"] = _json(
        {
            "definitions": list(waivers),
            "status": [w.model_dump(mode="json") for w in result.evaluation.waivers],
        }
    )
    files["config.json"] = _json(redact_config(config))
    files["coverage.json"] = _json([c.model_dump(mode="json") for c in result.coverage])
    if "oscal" in formats:
        from reports import oscal

        for name, text in oscal.render(result, attachments=dict(files)).items():
            files[f"reports/{name}"] = text.encode()
    return files


def bundle_files(
    result: ScanResult,
    *,
    config: AuditConfig | None = None,
    waivers: Sequence[Any] = (),
    signing_key: Ed25519PrivateKey | None = None,
    secrets: SecretSet | Sequence[str] = (),
    formats: Mapping[str, Callable[[ScanResult], Mapping[str, str]]] | None = None,
) -> dict[str, bytes]:
    """Every entry of the bundle, by name. ``waivers`` are the configured definitions
    (``policies.Waiver``); ``secrets`` are values no fragment of which may appear in any entry.

    The same last check as the reports (``auditor.app.runs.write_outputs``): if an entry holds a
    fragment, the result is withheld (its coverage then says so), the entries are built again and
    whatever still matches is replaced; no entry holding a fragment is hashed or written."""
    found = secrets if isinstance(secrets, SecretSet) else SecretSet(secrets)
    if formats is None:
        from reports import FORMATS

        formats = FORMATS
    files = _entries(result, config, waivers, formats)
    if found and any(found.contains(data.decode()) for data in files.values()):
        result = withhold_model(result, found)
        files = _entries(result, config, waivers, formats)
        files = {n: withhold_text(n, d.decode(), found).encode() for n, d in files.items()}
    manifest: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "tool": result.tool.model_dump(mode="json"),
        "python": platform.python_version(),
        "scan": result.scan.model_dump(mode="json"),
        "tenants": [
            {"tenant": c.tenant, "provider": c.provider, "base_url": c.base_url, "status": c.status}
            for c in result.coverage
        ],
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        },
    }
    if signing_key is not None:
        public = signing_key.public_key()
        manifest["signature"] = {
            "algorithm": "Ed25519",
            "public_key_sha256": fingerprint_key(public),
        }
    files[MANIFEST] = _json(manifest)
    if signing_key is not None:
        files[SIGNATURE] = base64.b64encode(signing_key.sign(files[MANIFEST])) + b"\n"
        files[PUBLIC_KEY] = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return files


def write_zip(path: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` deterministically (manifest first, then by name; fixed times) to a
    temporary file beside ``path`` and rename it into place, mode 0600."""
    head = [n for n in (MANIFEST, SIGNATURE, PUBLIC_KEY) if n in files]
    order = head + sorted(n for n in files if n not in head)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w") as archive:
                for name in order:
                    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.create_system = 3  # Unix, whatever the host: same bytes everywhere
                    info.external_attr = (stat.S_IFREG | 0o600) << 16
                    archive.writestr(info, files[name], compresslevel=9)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bundle(path: Path, result: ScanResult, **kwargs: Any) -> dict[str, bytes]:
    """``bundle_files`` then ``write_zip``; returns the entries written."""
    files = bundle_files(result, **kwargs)
    write_zip(path, files)
    return files
