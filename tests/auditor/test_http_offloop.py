"""Large response bodies are decoded and searched for secrets in a worker thread (issue 16: one
tenant's 20 MB PAT list stalled the other tenant's sequential search pages for seconds), with the
same result, the same withholding and the same errors as on the event loop."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from auditor.kernel.errors import ResponseFormatError
from auditor.kernel.http import ApiClient, HttpSettings
from auditor.kernel.httpresponses import OFF_LOOP_BYTES
from auditor.kernel.secretmatch import WITHHELD, SecretSet

SECRET = "sk-live-0123456789abcdefXYZ"


def _records(size: int, *, leak: bool = False) -> bytes:
    count = size // 40 + 1
    records = [{"id": f"{i:08d}", "name": "n" * 20} for i in range(count)]
    if leak:
        records[-1]["name"] = f"token {SECRET}"
    return json.dumps(records).encode()


def _fetch(body: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, int, list[str]]:
    threaded: list[str] = []
    real = asyncio.to_thread

    async def recording(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        threaded.append(func.__name__)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", recording)  # as httpresponses calls it
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))

    async def scenario() -> tuple[Any, int]:
        async with ApiClient(
            tenant="t",
            base_url="https://vendor.example",
            settings=HttpSettings(),
            transport=transport,
            secrets=SecretSet([SECRET]),
        ) as api:
            got = await api.get_json("/list")
            return got, api.stats.withheld

    got, withheld = asyncio.run(scenario())
    return got, withheld, threaded


@pytest.mark.parametrize(
    ("size", "threaded"),
    [(OFF_LOOP_BYTES // 2, []), (OFF_LOOP_BYTES + 100, ["_decode"])],
)
def test_large_bodies_are_decoded_in_a_thread_with_secrets_withheld(
    size: int, threaded: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _records(size, leak=True)
    assert (len(body) >= OFF_LOOP_BYTES) == bool(threaded)
    got, withheld, seen = _fetch(body, monkeypatch)
    assert seen == threaded
    assert got[-1]["name"] == f"token {WITHHELD}" and SECRET not in json.dumps(got)
    assert withheld == 1
    assert got[:-1] == json.loads(body)[:-1]


def test_a_large_body_that_is_not_json_fails_as_a_small_one_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = b"[" + b"1," * OFF_LOOP_BYTES  # never closed
    with pytest.raises(ResponseFormatError, match="GET /list returned HTTP 200 with a body that"):
        _fetch(body, monkeypatch)
