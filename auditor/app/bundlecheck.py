"""Checking an evidence bundle (``verify_bundle``) without extracting anything.

The bundle is exactly the kind of file an attacker hands an auditor: entry names are checked
before any content is read, sizes are bounded, and nothing is written to disk."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auditor.app.evidence import MANIFEST, PUBLIC_KEY, SIGNATURE
from auditor.app.signing import fingerprint_key, public_key_from_bytes
from auditor.kernel.errors import ConfigError, EvidenceError
from auditor.kernel.inputfile import BUNDLE_LIMIT, check_regular

CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
"""What reading one damaged entry raises: a CRC mismatch, compressed data that does not
decompress or ends early, an unknown compression method, an encryption flag."""
MAX_MANIFEST = 16 * 1024 * 1024
MAX_ENTRIES = 10_000
"""Bounds on what a bundle can make the checker read: a manifest is kilobytes, a bundle a few
dozen files."""


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
    if len(infos) > MAX_ENTRIES:
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
        check_regular(path, limit=BUNDLE_LIMIT, what="bundle")  # not a FIFO, device, …
    except ConfigError as exc:
        raise EvidenceError(f"{path}: {exc.message}") from None
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_layout(path, archive, infos)
            _check_names(infos)
            by_name = {i.filename: i for i in infos}
            if MANIFEST not in by_name:
                raise EvidenceError(f"{path}: no {MANIFEST}; not a credaudit evidence bundle")
            raw = _read(archive, by_name[MANIFEST], MAX_MANIFEST)
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
            offset += _LOCAL_HEADER.size + name_len + extra_len
            handle.seek(offset)
            _check_stream(handle, info)
            offset += info.compress_size
        handle.seek(offset)
        if handle.read(4) != b"PK\x01\x02" and infos:
            raise EvidenceError(f"{path}: unexpected bytes after the last entry")
        handle.seek(size - _EOCD_SIZE)
        if handle.read(4) != b"PK\x05\x06":
            raise EvidenceError(f"{path}: unexpected bytes after the end of the archive")


def _check_stream(handle: BinaryIO, info: zipfile.ZipInfo) -> None:
    """A deflated entry's data is one whole deflate stream, exactly ``compress_size`` bytes,
    expanding to ``file_size``: zipfile stops at ``file_size`` bytes of output and never sees
    a flipped bit in what follows. The output is counted, never kept (bounded memory)."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    left, produced = info.compress_size, 0
    try:
        while left and not inflate.eof:
            pending = handle.read(min(left, 1 << 16))
            if not pending:
                break
            left -= len(pending)
            while pending and produced <= info.file_size:
                produced += len(inflate.decompress(pending, 1 << 16))
                pending = inflate.unconsumed_tail
            if produced > info.file_size:
                break
    except zlib.error:
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # eof False: reported below
    if not inflate.eof or left or inflate.unused_data or produced != info.file_size:
        raise EvidenceError(
            f"altered: {info.filename} (corrupt zip entry: its compressed data is not one "
            "whole deflate stream of the recorded sizes)"
        )


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise EvidenceError(f"{info.filename} is implausibly large ({info.file_size} bytes)")
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except CORRUPT as exc:
        raise EvidenceError(f"altered: {info.filename} ({_corrupt(exc)})") from None
    if len(data) > limit:
        raise EvidenceError(f"{info.filename} is implausibly large")
    return data


def _corrupt(exc: BaseException) -> str:
    kind = "CRC mismatch" if "CRC" in str(exc) else "does not decompress"
    return f"corrupt zip entry: {kind}"


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
        except CORRUPT as exc:
            problems.append(f"altered: {name} ({_corrupt(exc)})")
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
            key = public_key_from_bytes(pub, PUBLIC_KEY)
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
