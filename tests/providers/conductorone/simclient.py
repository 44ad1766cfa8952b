"""A tiny synchronous driver for the simulator in tests (one event loop per call)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from providers.conductorone import ConductorOneSimulator
from providers.conductorone.auth import ASSERTION_TYPE, make_assertion, parse_client_secret
from tests.providers.conductorone.conftest import NOW


def call(
    sim: ConductorOneSimulator,
    method: str,
    path: str,
    *,
    host: str = "acme.conductor.one",
    token: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=sim.app)
        async with httpx.AsyncClient(transport=transport, base_url=f"https://{host}") as client:
            headers = dict(kwargs.pop("headers", {}))
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            return await client.request(method, path, headers=headers, **kwargs)

    return asyncio.run(run())


def assertion_form(
    client_id: str, secret: str, *, audience: str = "acme.conductor.one", now: float = NOW
) -> dict[str, str]:
    return {
        "client_id": client_id,
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": make_assertion(client_id, parse_client_secret(secret), audience, now),
    }


def login(sim: ConductorOneSimulator, kind: str = "admin") -> str:
    client_id, secret = sim.mint_client("admin" if kind == "admin" else "limited")
    response = call(sim, "POST", "/auth/v1/token", data=assertion_form(client_id, secret))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token
