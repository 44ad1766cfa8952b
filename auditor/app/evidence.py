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
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.app.config import SECRET_KEYS, AuditConfig
from auditor.app.signing import fingerprint_key
from auditor.kernel.model import ScanResult
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.secretstream import SecretScanner
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


Formats = Mapping[str, Callable[[ScanResult], Mapping[str, Iterable[str]]]]
"""Format name → its streamer (``reports.FORMATS``)."""
LAST = "oscal"
"""Made last: its back-matter holds the hashes of every other entry."""


def _streams(
    result: ScanResult, config: AuditConfig | None, waivers: Sequence[Any], formats: Formats
) -> dict[str, Iterable[bytes]]:
    """Every entry but the manifest and ``LAST``, as lazy chunks of bytes (the reports are made
    as they are read)."""
    files: dict[str, Iterable[bytes]] = {}
    for fmt, stream in formats.items():
        if fmt == LAST:
            continue
        for name, chunks in stream(result).items():
            files[f"reports/{name}"] = map(str.encode, chunks)
    files["policy.json"] = [_json(result.evaluation.policy)]
    files["waivers.json"] = [
        _json(
            {
                "definitions": list(waivers),
                "status": [w.model_dump(mode="json") for w in result.evaluation.waivers],
            }
        )
    ]
    files["config.json"] = [_json(redact_config(config))]
    files["coverage.json"] = [_json([c.model_dump(mode="json") for c in result.coverage])]
    return files


def _entries(
    result: ScanResult, config: AuditConfig | None, waivers: Sequence[Any], formats: Formats
) -> dict[str, bytes]:
    files = {n: b"".join(c) for n, c in _streams(result, config, waivers, formats).items()}
    files.update((n, b"".join(c)) for n, c in _last(result, formats, files).items())
    return files


def _last(
    result: ScanResult, formats: Formats, attachments: Mapping[str, bytes | Any]
) -> dict[str, Iterable[bytes]]:
    """The ``LAST`` format's entries, over ``attachments`` (bytes or ``oscal.Digest``), as lazy
    chunks of bytes."""
    if LAST not in formats:
        return {}
    from reports import oscal

    return {f"reports/{oscal.FILE_NAME}": map(str.encode, oscal.chunks(result, attachments))}


def _manifest(
    result: ScanResult,
    sizes: Mapping[str, tuple[str, int]],
    signing_key: Ed25519PrivateKey | None,
) -> dict[str, bytes]:
    """``manifest.json`` over ``sizes`` (name → SHA-256, size), and its signature and key."""
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
            name: {"sha256": digest, "size": size} for name, (digest, size) in sorted(sizes.items())
        },
    }
    out: dict[str, bytes] = {}
    if signing_key is not None:
        public = signing_key.public_key()
        manifest["signature"] = {
            "algorithm": "Ed25519",
            "public_key_sha256": fingerprint_key(public),
        }
    out[MANIFEST] = _json(manifest)
    if signing_key is not None:
        out[SIGNATURE] = base64.b64encode(signing_key.sign(out[MANIFEST])) + b"\n"
        out[PUBLIC_KEY] = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return out


def bundle_files(
    result: ScanResult,
    *,
    config: AuditConfig | None = None,
    waivers: Sequence[Any] = (),
    signing_key: Ed25519PrivateKey | None = None,
    secrets: SecretSet | Sequence[str] = (),
    formats: Formats | None = None,
) -> dict[str, bytes]:
    """Every entry of the bundle, by name, in memory (``write_bundle`` streams them instead).
    ``waivers`` are the configured definitions (``policies.Waiver``); ``secrets`` are values no
    fragment of which may appear in any entry.

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
    sizes = {name: (hashlib.sha256(data).hexdigest(), len(data)) for name, data in files.items()}
    return {**files, **_manifest(result, sizes, signing_key)}


def _spool(
    streams: Mapping[str, Iterable[bytes]], found: SecretSet, folder: Path, stack: ExitStack
) -> dict[str, tuple[BinaryIO, str, int]] | None:
    """Each entry written to an anonymous temporary file beside the bundle, hashed and checked
    for secrets as it is written: name → (file, SHA-256, size); ``None`` if one held a
    fragment."""
    spooled: dict[str, tuple[BinaryIO, str, int]] = {}
    for name, chunks in streams.items():
        spool = stack.enter_context(tempfile.TemporaryFile(dir=folder))  # noqa: SIM115
        digest, size, scanner = hashlib.sha256(), 0, SecretScanner(found)
        for chunk in chunks:
            spool.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            scanner.feed(chunk.decode())
        if scanner.close():
            return None
        spooled[name] = (spool, digest.hexdigest(), size)
    return spooled


def write_zip(path: Path, files: Mapping[str, bytes | BinaryIO]) -> None:
    """Write ``files`` deterministically (manifest first, then by name; fixed times) to a
    temporary file beside ``path`` and rename it into place, mode 0600. An entry is bytes, or
    an open file read from its start (copied in pieces, never held whole)."""
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
                    data = files[name]
                    if isinstance(data, bytes):
                        archive.writestr(info, data, compresslevel=9)
                        continue
                    # what writestr does, in pieces: the size first (the same header), level 9
                    info.file_size = data.seek(0, os.SEEK_END)
                    data.seek(0)
                    setattr(info, "_compresslevel", 9)  # noqa: B010 - writestr's own setting
                    with archive.open(info, "w") as entry:
                        shutil.copyfileobj(data, entry, 1 << 20)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bundle(
    path: Path,
    result: ScanResult,
    *,
    config: AuditConfig | None = None,
    waivers: Sequence[Any] = (),
    signing_key: Ed25519PrivateKey | None = None,
    secrets: SecretSet | Sequence[str] = (),
    formats: Formats | None = None,
) -> None:
    """``bundle_files`` then ``write_zip``, streamed: each entry is made, hashed and checked
    while it is written to a temporary file, then copied into the zip after the manifest, so no
    report is held whole. An entry holding a secret's fragment (a hostile echo: rare) falls back
    to ``bundle_files``, which withholds it. ``bundle_entries`` reads a written bundle back."""
    found = secrets if isinstance(secrets, SecretSet) else SecretSet(secrets)
    if formats is None:
        from reports import FORMATS

        formats = FORMATS
    path.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        streams = _streams(result, config, waivers, formats)
        spooled = _spool(streams, found, path.parent, stack)
        if spooled is not None:
            from reports.oscal import Digest

            digests = {name: Digest(digest) for name, (_, digest, _) in spooled.items()}
            last = _spool(_last(result, formats, digests), found, path.parent, stack)
            spooled = None if last is None else {**spooled, **last}
        if spooled is not None:
            sizes = {name: (digest, size) for name, (_, digest, size) in spooled.items()}
            entries: dict[str, bytes | BinaryIO] = dict(_manifest(result, sizes, signing_key))
            entries.update((name, spool) for name, (spool, _, _) in spooled.items())
            write_zip(path, entries)
            return
    files = bundle_files(
        result,
        config=config,
        waivers=waivers,
        signing_key=signing_key,
        secrets=found,
        formats=formats,
    )
    write_zip(path, files)


def bundle_entries(path: Path) -> dict[str, bytes]:
    """Every entry of a bundle written by ``write_bundle``, by name (for tests and tools; use
    ``verify_bundle`` on a bundle someone handed you)."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}
