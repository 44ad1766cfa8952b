"""Tamper-evident evidence bundles: write (``write_bundle``), check (``verify_bundle``) and
re-perform (``reevaluate``) a scan for an auditor.

A bundle is a zip holding every report format registered in ``reports.FORMATS`` under
``reports/``, the effective policy, the waivers (definitions and how each fared), the
configuration with every secret and secret *reference* redacted, the coverage, and
``manifest.json``: the SHA-256 and size of every other file plus the tool, Python version, scan
and tenants. The manifest may be signed with Ed25519 (``manifest.sig``, base64 over the exact
manifest bytes; ``manifest.pub``, the signer's public key, whose SHA-256 fingerprint the signed
manifest records).

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
import html
import json
import os
import platform
import stat
import struct
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedKey
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from auditor.config import SECRET_KEYS, AuditConfig
from auditor.errors import EvidenceError
from auditor.model import Credential, ScanResult, TenantCoverage, TenantInventory
from auditor.timestamps import format_timestamp, parse_timestamp

MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "manifest.pub"
BUNDLE_FORMAT = "credaudit-evidence/1"
REDACTED = "[redacted]"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the zip epoch: entries carry no wall-clock time
_MAX_MANIFEST = 16 * 1024 * 1024
_MAX_ENTRIES = 10_000
_MIN_SECRET = 8
"""Shorter values are too likely to occur by chance to be searched for in the bundle."""


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


def fingerprint_key(key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo: what ``verify`` prints and compares."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """An unencrypted Ed25519 private key (PKCS#8 PEM, or OpenSSH). Errors never quote it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"cannot read the signing key {path}: {exc.strerror}") from None
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key: object = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedKey) as exc:
        raise EvidenceError(
            f"the signing key {path} is not an unencrypted Ed25519 private key "
            f"({type(exc).__name__}); create one with `openssl genpkey -algorithm ed25519`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EvidenceError(f"the signing key {path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key: PEM (SubjectPublicKeyInfo) or an OpenSSH ``ssh-ed25519`` line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"cannot read the public key {path}: {exc.strerror}") from None
    return _public_key(data, str(path))


def _public_key(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        if data.lstrip().startswith(b"ssh-"):
            key: object = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedKey) as exc:
        raise EvidenceError(
            f"{where} is not a PEM or OpenSSH public key ({type(exc).__name__})"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise EvidenceError(f"{where} is not an Ed25519 public key")
    return key


# -- writing --------------------------------------------------------------------------------------


def bundle_files(
    result: ScanResult,
    *,
    config: AuditConfig | None = None,
    waivers: Sequence[Any] = (),
    signing_key: Ed25519PrivateKey | None = None,
    secrets: Sequence[str] = (),
    formats: Mapping[str, Callable[[ScanResult], Mapping[str, str]]] | None = None,
) -> dict[str, bytes]:
    """Every entry of the bundle, by name. ``waivers`` are the configured definitions
    (``policies.Waiver``); ``secrets`` are values that must appear in no file (a last guard)."""
    if formats is None:
        from reports import FORMATS

        formats = FORMATS
    files: dict[str, bytes] = {}
    for renderer in formats.values():
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
    for secret in secrets:
        if len(secret) < _MIN_SECRET:
            continue
        # also the forms the formats escape it into (JSON, HTML, CSV quoting)
        forms = {
            secret,
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            html.escape(secret),
            html.escape(secret, quote=False),
            secret.replace('"', '""'),
        }
        needles = [f.encode() for f in forms if f]
        if any(n in data for n in needles for data in files.values()):
            raise EvidenceError("a configured secret appears in the bundle; refusing to write it")
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


# -- verifying ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What ``verify_bundle`` found. ``problems`` is empty only for an intact bundle."""

    problems: tuple[str, ...]
    files: int
    manifest: dict[str, Any]
    signer: str | None = None
    """The public key fingerprint that signed the manifest, when the signature is valid."""
    self_asserted: bool = False
    """The signature was checked only against the key inside the bundle."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_names(infos: Sequence[zipfile.ZipInfo]) -> None:
    """Refuse an archive whose names could escape a folder or shadow each other."""
    if len(infos) > _MAX_ENTRIES:
        raise EvidenceError(f"the bundle has {len(infos)} entries; a bundle has far fewer")
    seen: set[str] = set()
    for info in infos:
        name = info.orig_filename
        shown = ascii(name)
        if not name or "\x00" in name or "\\" in name:
            raise EvidenceError(f"unsafe entry name {shown} (empty, NUL or backslash)")
        if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            raise EvidenceError(f"unsafe entry name {shown}: absolute path")
        if any(part in ("", ".", "..") for part in name.split("/")):
            raise EvidenceError(f"unsafe entry name {shown}: path traversal or a folder entry")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise EvidenceError(f"unsafe entry {shown}: a symbolic link")
        folded = unicodedata.normalize("NFC", name).casefold()
        if folded in seen:
            raise EvidenceError(f"duplicate entry {shown}")
        seen.add(folded)


def _digest(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> tuple[str, int]:
    """SHA-256 and size by streaming, reading at most ``limit + 1`` bytes (no zip bombs)."""
    digest, size = hashlib.sha256(), 0
    with archive.open(info) as stream:
        while size <= limit and (chunk := stream.read(min(1 << 16, limit + 1 - size))):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify_bundle(path: Path, public_key: Ed25519PublicKey | None = None) -> Verification:
    """Check every hash and size, missing and extra files, and the signature.

    Raises ``EvidenceError`` for a file that is not a safe, readable bundle (bad zip, unsafe
    names, no manifest); returns the problems of a readable one, each naming its file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_layout(path, archive, infos)
            _check_names(infos)
            by_name = {i.filename: i for i in infos}
            if MANIFEST not in by_name:
                raise EvidenceError(f"{path}: no {MANIFEST}; not a credaudit evidence bundle")
            raw = _read(archive, by_name[MANIFEST], _MAX_MANIFEST)
            manifest = _parse_manifest(raw)
            problems = _check_files(archive, by_name, manifest["files"])
            sig = _read(archive, by_name[SIGNATURE], 4096) if SIGNATURE in by_name else None
            pub = _read(archive, by_name[PUBLIC_KEY], 4096) if PUBLIC_KEY in by_name else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise EvidenceError(f"{path}: not a readable zip archive ({exc})") from None
    signer, asserted, sig_problems = _check_signature(manifest, raw, sig, pub, public_key)
    return Verification(
        problems=(*problems, *sig_problems),
        files=len(manifest["files"]),
        manifest=manifest,
        signer=signer,
        self_asserted=asserted,
    )


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_EOCD_SIZE = 22


def _check_layout(path: Path, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """The archive is exactly what we write: entries back to back from byte 0, then the central
    directory, then an end record with no comment, then end of file.

    Python's zipfile tolerates bytes before the first entry, after the end record, in the
    comment, and between entries; other unzip tools (streaming readers) would then show content
    the manifest never covered. A bundle with any of these is rejected as tampered.
    """
    if archive.comment:
        raise EvidenceError(f"{path}: the zip carries a comment; credaudit never writes one")
    size = path.stat().st_size
    with path.open("rb") as handle:
        offset = 0
        for info in sorted(infos, key=lambda i: i.header_offset):
            if info.header_offset != offset:
                raise EvidenceError(
                    f"{path}: unexpected bytes at offset {offset} before entry "
                    f"{info.filename!a}; the archive was altered"
                )
            handle.seek(offset)
            header = handle.read(_LOCAL_HEADER.size)
            if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
                raise EvidenceError(f"{path}: broken local header for {info.filename!a}")
            fields = _LOCAL_HEADER.unpack(header)
            flags, name_len, extra_len = fields[2], fields[9], fields[10]
            if flags & 0x08:
                raise EvidenceError(f"{path}: data descriptors are not used by credaudit bundles")
            offset += _LOCAL_HEADER.size + name_len + extra_len + info.compress_size
        handle.seek(offset)
        if handle.read(4) != b"PK\x01\x02" and infos:
            raise EvidenceError(f"{path}: unexpected bytes after the last entry")
        handle.seek(size - _EOCD_SIZE)
        if handle.read(4) != b"PK\x05\x06":
            raise EvidenceError(f"{path}: unexpected bytes after the end of the archive")


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise EvidenceError(f"{info.filename} is implausibly large ({info.file_size} bytes)")
    with archive.open(info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise EvidenceError(f"{info.filename} is implausibly large")
    return data


def _parse_manifest(raw: bytes) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise EvidenceError(f"{MANIFEST} is not valid JSON (altered?)") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(v, dict)
        and isinstance(v.get("sha256"), str)
        and isinstance(v.get("size"), int)
        and not isinstance(v.get("size"), bool)
        for v in files.values()
    ):
        raise EvidenceError(f"{MANIFEST} has no valid `files` table (altered?)")
    reserved = {MANIFEST, SIGNATURE, PUBLIC_KEY} & set(files)
    if reserved:
        raise EvidenceError(f"{MANIFEST} lists {', '.join(sorted(reserved))} (altered?)")
    return manifest


def _check_files(
    archive: zipfile.ZipFile, by_name: Mapping[str, zipfile.ZipInfo], files: Mapping[str, Any]
) -> list[str]:
    problems = []
    for name, expected in sorted(files.items()):
        info = by_name.get(name)
        if info is None:
            problems.append(f"missing: {name}")
            continue
        try:
            digest, size = _digest(archive, info, expected["size"])
        except zipfile.BadZipFile:
            problems.append(f"altered: {name} (corrupt zip entry)")
            continue
        if size != expected["size"] or digest != expected["sha256"]:
            problems.append(f"altered: {name} (SHA-256 or size differs from {MANIFEST})")
    known = {*files, MANIFEST, SIGNATURE, PUBLIC_KEY}
    problems.extend(f"extra: {name}" for name in sorted(by_name) if name not in known)
    return problems


def _check_signature(
    manifest: Mapping[str, Any],
    raw: bytes,
    sig: bytes | None,
    pub: bytes | None,
    required: Ed25519PublicKey | None,
) -> tuple[str | None, bool, list[str]]:
    """(signer fingerprint, self-asserted, problems)."""
    claim = manifest.get("signature")
    recorded = claim.get("public_key_sha256") if isinstance(claim, dict) else None
    if claim is None and sig is None and pub is None:
        if required is not None:
            return None, False, [f"unsigned: no {SIGNATURE}, but a signature is required"]
        return None, False, []
    if claim is None:
        return None, False, [f"extra: {n}" for n, v in ((SIGNATURE, sig), (PUBLIC_KEY, pub)) if v]
    if sig is None:
        return None, False, [f"missing: {SIGNATURE} ({MANIFEST} says it is signed)"]
    self_asserted = required is None
    key = required
    if key is None:
        if pub is None:
            return None, False, [f"missing: {PUBLIC_KEY} (needed without --public-key)"]
        try:
            key = _public_key(pub, PUBLIC_KEY)
        except EvidenceError as exc:
            return None, False, [f"altered: {exc}"]
        if fingerprint_key(key) != recorded:
            return None, False, [f"altered: {PUBLIC_KEY} (not the key {MANIFEST} records)"]
    try:
        key.verify(base64.b64decode(sig.strip(), validate=True), raw)
    except (InvalidSignature, ValueError):
        what = "the given public key" if required is not None else f"the key in {PUBLIC_KEY}"
        return None, False, [f"altered: {MANIFEST} or {SIGNATURE} (no valid signature by {what})"]
    signer = fingerprint_key(key)
    if recorded != signer:
        return None, False, [f"altered: {MANIFEST} (records signer {recorded}, not {signer})"]
    return signer, self_asserted, []


# -- re-performing a scan from its saved inventory ------------------------------------------------


def inventories_from_document(document: Any) -> tuple[list[TenantInventory], datetime, str]:
    """The inventories, as-of and scan id of a ``results.json`` document, validated."""
    if not isinstance(document, dict):
        raise EvidenceError("results.json: not a JSON object")
    try:
        coverage = [TenantCoverage.model_validate(c) for c in document.get("coverage") or ()]
        credentials = [Credential.model_validate(c) for c in document.get("credentials") or ()]
        scan = document["scan"]
        as_of = parse_timestamp(scan["as_of"])
        scan_id = str(scan["id"])
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EvidenceError(f"results.json: {where}: {first['msg']}") from None
    except (KeyError, TypeError, ValueError):
        raise EvidenceError("results.json: no valid `scan` section with `id` and `as_of`") from None
    if as_of is None or not coverage:
        raise EvidenceError("results.json: no as-of or no coverage; not a credaudit results file")
    by_tenant: dict[str, list[Credential]] = {c.tenant: [] for c in coverage}
    for credential in credentials:
        if credential.tenant not in by_tenant:
            raise EvidenceError(f"results.json: credential of unknown tenant {credential.tenant!r}")
        by_tenant[credential.tenant].append(credential)
    inventories = [
        TenantInventory(coverage=c, credentials=tuple(by_tenant[c.tenant])) for c in coverage
    ]
    return inventories, as_of, scan_id


def reevaluate(
    document: Any,
    plan: Any,
    *,
    as_of: datetime | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScanResult:
    """Re-perform the test: evaluate the saved inventory under ``plan``'s policy and waivers at
    ``as_of`` (default: the document's), with no vendor access. The coverage notes say so."""
    from auditor.engine import assemble

    inventories, saved_as_of, scan_id = inventories_from_document(document)
    note = f"re-evaluated from the saved inventory of scan {scan_id}; no vendor was contacted"
    inventories = [
        inv.model_copy(
            update={
                "coverage": inv.coverage.model_copy(update={"notes": (*inv.coverage.notes, note)})
            }
        )
        for inv in inventories
    ]
    started = now()
    return assemble(plan, inventories, as_of or saved_as_of, started=started, finished=now())
