"""A hostile vendor for tests: the simulated tenants, served on loopback, echoing secrets back.

``HostileSandbox`` is ``auditor.app.sandbox.Sandbox`` with each simulated app wrapped in
``HostileEcho``: the first credential listing (ConductorOne's personal-client search, SailPoint's
personal-access-token list) is answered 400 with an error body quoting the tenant's client secret
or the bearer token it was sent, in one of the ``ECHOES`` forms; or (forms ``name`` and
``record``) it is answered normally, with the secret put into the first credential.

``fragments`` is the test's own oracle, independent of ``auditor.kernel.secretmatch``: every 12
characters of every form of a value, case-folded, looked for in text with format characters
(Unicode category Cf: zero-width and bidi controls) removed, raw or escaped.
"""

from __future__ import annotations

import base64
import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote

import uvicorn

from auditor.app.sandbox import Sandbox, Simulation

Echo = Callable[[str, str, str], str]
"""(client id, client secret, bearer token) → the vendor's error text."""

ECHOES: dict[str, Echo] = {
    # the cut of vendor text at 300 characters falls 30 characters into the secret
    "cut": lambda cid, secret, token: "x" * (300 - 30 - len(_prefix(secret))) + secret + " end",
    "upper": lambda cid, secret, token: f"invalid client {secret.upper()}",
    "zero-width": lambda cid, secret, token: "invalid client " + "\u200b".join(secret),
    "whole": lambda cid, secret, token: f"invalid client {secret}",
    "json": lambda cid, secret, token: "request was " + json.dumps({"credential": secret}),
    "url": lambda cid, secret, token: f"GET /check?c={quote(secret, safe='')} failed",
    "form": lambda cid, secret, token: (
        "body: " + quote_plus(f"grant_type=client_credentials&client_id={cid}&s={secret}")
    ),
    "base64": lambda cid, secret, token: (
        "basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()
    ),
    "authorization": lambda cid, secret, token: (
        f"header was authorization=Bearer {token}; token {token} is not valid here"
    ),
    "key material": lambda cid, secret, token: f"cannot use key {_key_material(secret)}",
    # separators a reader skips, every few characters: a character no list of invisible ones
    # names (U+17B4), spaces, line breaks
    "separated": lambda cid, secret, token: "invalid client " + "\u17b4".join(_chunks(secret, 6)),
    "spaced": lambda cid, secret, token: "invalid client " + " ".join(_chunks(secret, 6)),
    "lines": lambda cid, secret, token: "invalid client\n" + "\n".join(_chunks(secret, 8)),
}


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


FORMS = (*ECHOES, "name", "record")
"""``name``: the secret inside the first credential's name; ``record``: the secret, zero-width
interleaved, as a malformed value of the first credential (which an adapter quotes with ``repr``,
escaping the zero-width characters as ``\\u200b``)."""
C1_PREFIX = "secret-token:conductorone.com:v1:"


def _key_material(secret: str) -> str:
    """The JWK JSON inside a ConductorOne secret (its ``d`` is the private key); the secret
    itself for any other."""
    if not secret.startswith(C1_PREFIX):
        return secret
    tail = secret.removeprefix(C1_PREFIX)
    return base64.urlsafe_b64decode(tail + "=" * (-len(tail) % 4)).decode()


def _prefix(secret: str) -> str:
    return C1_PREFIX if secret.startswith(C1_PREFIX) else ""


class HostileEcho:
    """ASGI middleware around a simulated vendor (see the module docstring)."""

    def __init__(self, app: Any, client_id: str, secret: str, form: str) -> None:
        self.app, self.client_id, self.secret, self.form = app, client_id, secret, form
        self.tokens: set[str] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or "personal" not in scope["path"]:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        token = headers.get(b"authorization", b"").decode().partition(" ")[2]
        self.tokens.add(token)
        if self.form in ("name", "record"):
            await self._rewrite(scope, receive, send)
            return
        text = ECHOES[self.form](self.client_id, self.secret, token)
        body = json.dumps({"message": text}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _rewrite(self, scope: Any, receive: Any, send: Any) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = json.loads(b"".join(chunks))
        if self.form == "name":
            _rename_first(body, f"ci deploy {self.secret}")
        else:
            _spoil_first(body, "\u200b".join(self.secret))
        data = json.dumps(body).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})


def _rename_first(value: Any, name: str) -> bool:
    if isinstance(value, dict):
        for key in ("displayName", "name"):
            if isinstance(value.get(key), str) and "id" in value:
                value[key] = name
                return True
        return any(_rename_first(v, name) for v in value.values())
    if isinstance(value, list):
        return any(_rename_first(v, name) for v in value)
    return False


def _spoil_first(value: Any, bad: str) -> bool:
    if isinstance(value, dict):
        if "displayName" in value and "id" in value:  # a ConductorOne personal client
            value["allowSourceCidr"] = [bad]
            return True
        if "created" in value and "id" in value:  # a SailPoint personal access token
            value["created"] = bad
            return True
        return any(_spoil_first(v, bad) for v in value.values())
    if isinstance(value, list):
        return any(_spoil_first(v, bad) for v in value)
    return False


class HostileSandbox(Sandbox):
    """``Sandbox`` whose two tenants echo their own secret back in ``form``."""

    def __init__(self, simulation: Simulation, form: str) -> None:
        super().__init__(simulation, port=0)
        self.echoes = tuple(HostileEcho(t.app, *t.credentials, form) for t in simulation.simulated)
        self.servers = [
            uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
            for app in self.echoes
        ]


def _b64(raw: bytes) -> list[str]:
    out = []
    for pad in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * pad + raw).decode().rstrip("=")
            out.append(text[4 if pad else 0 : len(text) - 4])  # the edges mix other bytes
    return out


def forms_of(value: str) -> list[str]:
    return [
        value,
        quote(value, safe=""),
        quote_plus(value),
        json.dumps(value)[1:-1],
        html.escape(value),
        *_b64(value.encode()),
    ]


_ESCAPE = re.compile(
    r"\\+u([0-9a-fA-F]{4})|\\+U([0-9a-fA-F]{8})|\\+x([0-9a-fA-F]{2})"
    r"|&#[xX]([0-9a-fA-F]{1,6});|&#([0-9]{1,7});|((?:%[0-9a-fA-F]{2}){2,4})"
)


def _unescape_invisible(match: re.Match[str]) -> str:
    hex_code = match.group(1) or match.group(2) or match.group(3) or match.group(4)
    if hex_code:
        char = chr(int(hex_code, 16))
    elif match.group(5):
        char = chr(int(match.group(5)))
    else:
        char = unquote(match.group(6))
    return "" if len(char) == 1 and unicodedata.category(char) == "Cf" else match.group(0)


def normalise(text: str) -> str:
    """Format characters removed, also where escaped (``\\u200b``, ``&#8203;``, ``%E2%80%8B``),
    then case-folded."""
    text = _ESCAPE.sub(_unescape_invisible, text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf").casefold()


def fragments(values: Iterable[str], size: int = 12) -> set[str]:
    """Every ``size``-character window of every form of every value, case-folded."""
    windows: set[str] = set()
    for value in values:
        for form in forms_of(value):
            folded = normalise(form)
            windows.update(folded[i : i + size] for i in range(len(folded) - size + 1))
    return windows


def _letters(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text)


def leaks(text: str, windows: set[str], size: int = 12) -> list[str]:
    """The windows found in ``text`` (normalised), with a little context, for the message; and
    the windows of the secrets' letters and digits found among ``text``'s letters and digits
    (a secret broken up by separators a reader skips)."""
    view = normalise(text)
    found = [
        view[max(0, i - 20) : i + size + 20]
        for i in range(len(view) - size + 1)
        if view[i : i + size] in windows
    ]
    loose = {w for w in (_letters(x) for x in _whole_forms(windows)) if len(w) >= size}
    letters = _letters(view)
    loose_windows = {w[i : i + size] for w in loose for i in range(len(w) - size + 1)}
    found += [
        "letters: " + letters[max(0, i - 20) : i + size + 20]
        for i in range(len(letters) - size + 1)
        if letters[i : i + size] in loose_windows
    ]
    return found


def _whole_forms(windows: set[str]) -> list[str]:
    """The windows themselves: their letters and digits are what a separated echo leaves."""
    return list(windows)


def secret_values(simulation: Simulation, echoes: Iterable[HostileEcho]) -> list[str]:
    """What must never show: both secrets (the ConductorOne one without its public prefix),
    the private part of the ConductorOne key, and every bearer token the vendor was sent."""
    c1_secret = simulation.tenant("conductorone").credentials[1]
    tail = c1_secret.removeprefix(C1_PREFIX)
    jwk = json.loads(base64.urlsafe_b64decode(tail + "=" * (-len(tail) % 4)))
    tokens = {t for echo in echoes for t in echo.tokens if t}
    return [tail, jwk["d"], simulation.tenant("sailpoint").credentials[1], *tokens]
