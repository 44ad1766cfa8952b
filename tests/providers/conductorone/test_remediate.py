"""ConductorOne remediation against the simulated tenant, every exchange checked against the
vendor's spec: revoke (DELETE) succeeds, a second one is 404 = already gone, a lost response then
a retried DELETE is still success, another user's client needs the right, no body is sent."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI

from auditor.kernel.http import HttpSettings
from auditor.kernel.model import Capabilities, Credential
from providers.base import ClientFactory
from providers.conductorone import ConductorOneProvider
from providers.conductorone.remediate import ConductorOneRemediator
from providers.remediation import VendorOutcome
from tests.providers.conductorone.conftest import NOW, FakeTime, make_sim, settings_for
from tests.providers.conductorone.test_openapi import Recorder, check, openapi, spec

__all__ = ["openapi", "spec"]  # fixtures
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")
CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)


class LoseFirstResponse(httpx.AsyncBaseTransport):
    """Delivers the first DELETE to the server, then drops its response (a broken connection)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.dropped = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "DELETE" and not self.dropped:
            await response.aread()
            self.dropped += 1
            raise httpx.ReadError("connection reset", request=request)
        return response


def credential(client_id: str) -> Credential:
    return Credential(provider="conductorone", tenant="acme-c1", id=client_id, capabilities=CAPS)


def revoke(
    sim: Any,
    transport: httpx.AsyncBaseTransport,
    target: str,
    kind: str = "admin",
    retries: int = 2,
) -> VendorOutcome:
    client_id, secret = sim.mint_client(kind)
    fake = FakeTime()
    clients = ClientFactory(transport=transport, sleep=fake.sleep, clock=fake.clock)
    settings = settings_for(client_id, secret, http=HttpSettings(max_retries=retries))
    remediator = ConductorOneRemediator(settings, clients, wall_clock=lambda: NOW)
    request = remediator.request_for("revoke", credential(target), {})

    async def go() -> VendorOutcome:
        async with remediator.client() as api:
            return await remediator.send(api, request)

    return asyncio.run(go())


def test_revoke_then_again_is_already_gone(openapi: OpenAPI, spec: dict[str, Any]) -> None:
    sim = make_sim()
    target = sim.ground_truth()[0]["id"]
    recorder = Recorder(httpx.ASGITransport(app=sim.app))
    first = revoke(sim, recorder, target)
    assert (first.result, first.status) == ("done", 200)
    assert target not in {c["id"] for c in sim.ground_truth()}
    second = revoke(sim, recorder, target)
    assert (second.result, second.status) == ("already-gone", 404)
    deletes = [r for r in recorder.responses if r.request.method == "DELETE"]
    assert [r.status_code for r in deletes] == [200, 404]
    for response in deletes:
        assert response.request.content == b""  # as the official CLI: no body
        check(openapi, spec, response)


def test_a_lost_response_then_404_is_success() -> None:
    sim = make_sim()
    target = sim.ground_truth()[1]["id"]
    lossy = LoseFirstResponse(httpx.ASGITransport(app=sim.app))
    outcome = revoke(sim, lossy, target)
    assert lossy.dropped == 1
    assert (outcome.result, outcome.status) == ("already-gone", 404)
    assert outcome.attempts == 2
    assert target not in {c["id"] for c in sim.ground_truth()}


def test_another_users_client_needs_the_right(openapi: OpenAPI, spec: dict[str, Any]) -> None:
    sim = make_sim()
    others = [c for c in sim.ground_truth() if c["userId"] != sim.data.limited_user_id]
    recorder = Recorder(httpx.ASGITransport(app=sim.app))
    outcome = revoke(sim, recorder, others[0]["id"], kind="limited")
    assert (outcome.result, outcome.status) == ("failed", 403)
    assert "PersonalClientService.Delete" in outcome.detail
    assert others[0]["id"] in {c["id"] for c in sim.ground_truth()}
    check(openapi, spec, next(r for r in recorder.responses if r.request.method == "DELETE"))


def test_the_provider_declares_its_remediator() -> None:
    assert ConductorOneProvider.remediator is ConductorOneRemediator
    remediator = ConductorOneRemediator(
        settings_for("x@acme.conductor.one/pcc", "s"), ClientFactory()
    )
    assert remediator.refusal("narrow-scope", credential("a"), {}) is not None
    assert remediator.request_for("revoke", credential("a/b c"), {}).path == (
        "/api/v1/iam/personal_clients/a%2Fb%20c"
    )
