"""``auditor.kernel.httptransport.tls_verify``: one verifying TLS context per CA bundle, shared by
every client, made again when the bundle changes, never one that does not verify."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import pytest

from auditor.kernel.errors import TransportError
from auditor.kernel.http import ApiClient, HttpSettings
from auditor.kernel.httptransport import tls_verify
from tests.auditor.test_nodelay import _certificate


def _verifying(context: ssl.SSLContext) -> bool:
    return context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_clients_share_the_default_context_and_it_verifies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    first, second = tls_verify(HttpSettings()), tls_verify(HttpSettings(max_retries=1))
    assert first is second and _verifying(first)
    assert first.cert_store_stats()["x509_ca"] > 0  # certifi's roots


def test_the_environment_s_bundle_gets_its_own_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, _ = _certificate(tmp_path)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    default = tls_verify(HttpSettings())
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    from_env = tls_verify(HttpSettings())
    assert from_env is not default and _verifying(from_env)
    assert from_env.cert_store_stats()["x509_ca"] == 1


def test_a_ca_bundle_is_loaded_once_until_it_changes(tmp_path: Path) -> None:
    cert_file, _ = _certificate(tmp_path)
    settings = HttpSettings(ca_bundle=str(cert_file))
    first = tls_verify(settings)
    assert tls_verify(settings) is first and _verifying(first)
    other = tmp_path / "other"
    other.mkdir()
    replacement, _ = _certificate(other)
    cert_file.write_bytes(replacement.read_bytes() + b"\n")  # rotated: new size and mtime
    os.utime(cert_file, ns=(1, 1))
    rotated = tls_verify(settings)
    assert rotated is not first and _verifying(rotated)


def test_an_unreadable_bundle_is_a_transport_error(tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="cannot load ca_bundle"):
        tls_verify(HttpSettings(ca_bundle=str(tmp_path / "missing.pem")))
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(TransportError, match="cannot load ca_bundle"):
        tls_verify(HttpSettings(ca_bundle=str(bad)))


def test_a_client_uses_the_shared_context() -> None:
    async def pool_context() -> object:
        async with ApiClient(
            tenant="t", base_url="https://x.example", settings=HttpSettings()
        ) as api:
            return api._client._transport._pool._ssl_context  # type: ignore[attr-defined]

    import asyncio

    assert asyncio.run(pool_context()) is tls_verify(HttpSettings())
