"""``-v`` against vendors that echo secrets in response *headers*.

The HTTP libraries' own debug logs (httpx, httpcore) print raw headers and URLs; whatever the
verbosity, neither they nor APScheduler may carry a secret to stderr or the log: a 302 whose
``Location`` carries the token form, a header echoing the bearer token, a webhook URL's path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
from click.testing import CliRunner
from pydantic import SecretStr

from auditor.app.notify import Notifier
from auditor.app.sandbox import Sandbox, Simulation
from auditor.cli import cli
from auditor.cli.logsetup import configure_logging
from tests.hostile import fragments, leaks, secret_values

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
pytestmark = pytest.mark.e2e


class HeaderEcho:
    """Every response echoes the bearer token and the token form in headers; the credential
    listing is a 302 whose ``Location`` carries the client secret."""

    def __init__(self, app: Any, client_id: str, secret: str) -> None:
        self.app, self.client_id, self.secret = app, client_id, secret
        self.tokens: set[str] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        self.tokens.add(auth.partition(" ")[2])
        form = f"client_id={self.client_id}&client_secret={quote(self.secret, safe='')}"
        echoed = [(b"x-echo-authorization", auth.encode()), (b"x-echo-form", form.encode())]
        if "personal" in scope["path"]:
            location = f"http://127.0.0.1:9/callback?{form}".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 302,
                    "headers": [(b"location", location), *echoed],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def echo(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], *echoed]}
            await send(message)

        await self.app(scope, receive, echo)


class EchoSandbox(Sandbox):
    def __init__(self, simulation: Simulation) -> None:
        super().__init__(simulation, port=0)
        self.echoes = tuple(HeaderEcho(t.app, *t.credentials) for t in simulation.simulated)
        self.servers = [
            uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
            for app in self.echoes
        ]


@pytest.fixture
def echo_sandbox() -> Iterator[EchoSandbox]:
    server = EchoSandbox(Simulation(as_of=AS_OF))
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line)
    return {name: value.strip("'") for name, value in pairs}


def test_verbose_scan_never_logs_echoed_headers(
    echo_sandbox: EchoSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, env_file = echo_sandbox.write_config(tmp_path / "cfg")
    args = ["-v", "scan", "-c", str(config), "-o", str(tmp_path / "out"), "-f", "json"]
    args += ["--as-of", "2026-11-24", "--fail-on", "never"]
    with caplog.at_level(logging.DEBUG):
        run = CliRunner().invoke(cli, args, env=read_env(env_file))
    assert all(echo.tokens - {""} for echo in echo_sandbox.echoes)  # tokens were sent
    windows = fragments(secret_values(echo_sandbox.simulation, echo_sandbox.echoes))  # type: ignore[arg-type]
    texts = {"stdout": run.stdout, "stderr": run.stderr, "log": caplog.text}
    found = {name: hits[:3] for name, text in texts.items() if (hits := leaks(text, windows))}
    assert not found, f"fragments of a secret in {found}"
    assert run.exit_code == 3, run.output  # both listings redirected: failed, not a crash
    assert "internal error" not in run.output


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("X-Echo-Path", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("verbose", [True, False])
def test_webhook_path_never_logged(verbose: bool, caplog: pytest.LogCaptureFixture) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret_path = "/hooks/T000/B000/XXXXsecretwebhookpathXXXX"
    try:
        configure_logging(verbose=verbose, quiet=False)
        url = f"http://127.0.0.1:{server.server_address[1]}{secret_path}"
        with caplog.at_level(logging.DEBUG):
            Notifier(SecretStr(url)).send({"text": "hello"})
    finally:
        server.shutdown()
        server.server_close()
    assert "secretwebhookpath" not in caplog.text
    assert "T000/B000" not in caplog.text


def test_third_party_warnings_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    configure_logging(verbose=True, quiet=False)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").warning(
            "odd reply from %s: %s", "https://hooks.example/T0/secretpath?x=1", "Bearer abc.def"
        )
        logging.getLogger("apscheduler.scheduler").debug("next wakeup at %s", "noon")
    assert "secretpath" not in caplog.text
    assert "abc.def" not in caplog.text
    assert "https://hooks.example/[path withheld]" in caplog.text
    assert "next wakeup" not in caplog.text  # APScheduler's DEBUG lines are held back


def test_live_secrets_are_withheld_from_every_log_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import base64

    from auditor.kernel.http import ApiClient, HttpSettings
    from auditor.kernel.secretmatch import SecretSet

    secret = "Kx7-live-client-secret-value-42"
    client = ApiClient(
        tenant="t",
        base_url="https://x.example",
        settings=HttpSettings(),
        secrets=SecretSet([secret]),
    )
    configure_logging(verbose=True, quiet=False)
    encoded = base64.b64encode(f"id:{secret}".encode()).decode()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").warning("sent Authorization: Basic %s", encoded)
        logging.getLogger("credaudit.test").debug("echo %s", secret.upper())
        try:
            raise RuntimeError(f"vendor said {secret}")
        except RuntimeError:
            logging.getLogger("credaudit.test").debug("crash", exc_info=True)
    assert client.secrets  # alive while the records were written
    windows = fragments([secret])
    assert not leaks(caplog.text, windows), caplog.text
    assert "[withheld: matched a secret]" in caplog.text
