"""Owner notices against a real SMTP server (aiosmtpd, STARTTLS required, AUTH required after
TLS): one message per owner per stage (14, 7, 1 days before the revoke), never twice."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from auditor.app.sandbox import Sandbox
from tests.e2e.test_remediate import make_approved, run, sandbox, setup

__all__ = ["sandbox"]  # the fixture
pytestmark = pytest.mark.e2e
USER, PASSWORD = "credaudit", "smtp-password-never-shown"


def self_signed(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "smtp.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "smtp.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "smtp.pem", folder / "smtp.key")
    return context


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.tls_at_auth: list[bool] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        self.tls_at_auth.append(session.ssl is not None)
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        return AuthResult(success=ok)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks readiness by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=self_signed(tmp_path),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=inbox.authenticate,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_one_notice_per_owner_per_stage(
    sandbox: Sandbox, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    mail = (
        "  email:\n    host: 127.0.0.1\n"
        f"    port: {port}\n    sender: credaudit@example.com\n"
        "    username_env: SMTP_USER\n    password_env: SMTP_PASSWORD\n    ca_bundle: smtp.pem\n"
    )
    config, env = setup(sandbox, tmp_path)
    config.write_text(config.read_text().replace("  policy:\n", mail + "  policy:\n"))
    env |= {"SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}
    plan_file = tmp_path / "plan.json"
    plan = make_approved(config, env, plan_file)
    pending = [a for a in plan["actions"] if a["action"] == "notify-owner"]
    owners = {a["owner"]["email"] for a in pending if a["owner"]["email"]}
    assert owners and {a["due"] for a in pending} == {"2026-12-24T00:00:00Z"}

    def notify(when: str) -> Any:
        result = run(
            ["remediate", "notify", str(plan_file), "-c", str(config), "--as-of", when], env
        )
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output
        return result

    assert "no notice due" in notify("2026-12-09T23:59:59Z").output  # 14 days + 1 s before
    for when, stage in (("2026-12-10", 14), ("2026-12-17", 7), ("2026-12-23", 1)):
        before = len(inbox.messages)
        notify(when)
        fresh = inbox.messages[before:]
        assert sorted(m["To"] for m in fresh) == sorted(owners)  # one per owner at this stage
        assert all(f"({stage} day(s) notice)" in m.get_payload() for m in fresh)
        notify(when)  # a re-run sends nothing again
        assert len(inbox.messages) == before + len(owners)
    assert all(inbox.tls_at_auth)
    body = inbox.messages[0].get_payload()
    assert "2026-12-24" in body and "What to do" in body


def test_webhook_notices_once_per_owner_per_stage(sandbox: Sandbox, tmp_path: Path) -> None:
    from tests.auditor.test_notify import Recorder

    with Recorder() as hook:
        config, env = setup(sandbox, tmp_path)
        text = config.read_text().replace("  policy:\n", "  webhook: true\n  policy:\n")
        config.write_text(text + "notify:\n  webhook_url_env: HOOK\n")
        env["HOOK"] = hook.url
        plan_file = tmp_path / "plan.json"
        plan = make_approved(config, env, plan_file)
        owners = {
            a["owner"]["email"] or a["owner"]["id"]
            for a in plan["actions"]
            if a["action"] == "notify-owner"
        }
        args = ["remediate", "notify", str(plan_file), "-c", str(config), "--as-of"]
        assert run([*args, "2026-12-17"], env).exit_code == 0
        assert len(hook.bodies) == len(owners)
        assert all("(7 day(s) notice)" in body["text"] for body in hook.bodies)
        assert run([*args, "2026-12-17"], env).exit_code == 0
        assert len(hook.bodies) == len(owners)  # not again
        assert env["HOOK"] not in str(hook.bodies)
