"""SailPoint remediation against the simulated tenant, each exchange validated against the v3
spec (``paths./personal-access-tokens/{id}``): DELETE 204 then 404, PATCH narrows the scope as
the owner only, the read-only scanning credential cannot write, managed PATs are refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from auditor.kernel.model import Capabilities, Credential, Owner
from providers.base import ClientFactory
from providers.remediation import VendorOutcome
from providers.sailpoint import SailPointProvider, SailPointSimulator
from providers.sailpoint.remediate import SailPointRemediator
from tests.fakes import FakeTime
from tests.providers.conductorone.test_openapi import Recorder
from tests.providers.sailpoint.conftest import make_sim, settings
from tests.providers.sailpoint.spec_check import validate_exchange

pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")
CAPS = Capabilities(network_restriction=False, expiry=True, last_used=True)


def cred(row: dict[str, Any]) -> Credential:
    return Credential(
        provider="sailpoint",
        tenant="acme-isc",
        id=row["id"],
        capabilities=CAPS,
        owner=Owner(id=row["owner"]["id"]),
        managed=row.get("managed"),
    )


def act(
    sim: SailPointSimulator,
    fake: FakeTime,
    recorder: Recorder,
    action: str,
    row: dict[str, Any],
    kind: str = "remediation",
    params: dict[str, Any] | None = None,
) -> VendorOutcome:
    client_id, secret = sim.mint_client(kind)  # type: ignore[arg-type]
    clients = ClientFactory(transport=recorder, sleep=fake.sleep, clock=fake.clock)
    remediator = SailPointRemediator(settings(client_id, secret), clients)
    request = remediator.request_for(action, cred(row), params or {})

    async def go() -> VendorOutcome:
        async with remediator.client() as api:
            return await remediator.send(api, request)

    return asyncio.run(go())


def writes(recorder: Recorder) -> list[httpx.Response]:
    return [r for r in recorder.responses if r.request.method in ("DELETE", "PATCH")]


def test_delete_then_again_is_already_gone() -> None:
    fake = FakeTime()
    sim = make_sim(fake)
    recorder = Recorder(httpx.ASGITransport(app=sim.app))
    row = sim.ground_truth()[0]
    first = act(sim, fake, recorder, "revoke", row)
    assert (first.result, first.status) == ("done", 204)
    assert row["id"] not in {r["id"] for r in sim.ground_truth()}
    second = act(sim, fake, recorder, "revoke", row)
    assert (second.result, second.status) == ("already-gone", 404)
    assert second.request_id  # ErrorResponseDto.trackingId
    assert [r.status_code for r in writes(recorder)] == [204, 404]
    for response in writes(recorder):
        validate_exchange(response)


def test_the_scanning_credential_cannot_delete() -> None:
    fake = FakeTime()
    sim = make_sim(fake)
    recorder = Recorder(httpx.ASGITransport(app=sim.app))
    row = sim.ground_truth()[0]
    outcome = act(sim, fake, recorder, "revoke", row, kind="admin")
    assert (outcome.result, outcome.status) == ("failed", 403)
    assert row["id"] in {r["id"] for r in sim.ground_truth()}
    validate_exchange(writes(recorder)[0])


def test_narrow_scope_as_owner_only() -> None:
    fake = FakeTime()
    sim = make_sim(fake)
    recorder = Recorder(httpx.ASGITransport(app=sim.app))
    mine = next(r for r in sim.ground_truth() if r["owner"]["id"] == sim.dataset.me)
    other = next(r for r in sim.ground_truth() if r["owner"]["id"] != sim.dataset.me)
    scope = {"scope": ["sp:scopes:default"]}
    done = act(sim, fake, recorder, "narrow-scope", mine, params=scope)
    assert (done.result, done.status) == ("done", 200)
    after = next(r for r in sim.ground_truth() if r["id"] == mine["id"])
    assert after["scope"] == ["sp:scopes:default"]
    refused = act(sim, fake, recorder, "narrow-scope", other, params=scope)
    assert (refused.result, refused.status) == ("failed", 403)
    sent = writes(recorder)
    assert sent[0].request.headers["content-type"] == "application/json-patch+json"
    for response in sent:
        validate_exchange(response)


def test_refusals_before_any_request() -> None:
    sim = make_sim(FakeTime())
    remediator = SailPointRemediator(settings(), ClientFactory())
    managed = next(r for r in sim.ground_truth() if r.get("managed"))
    assert "never touched" in (remediator.refusal("revoke", cred(managed), {}) or "")
    mine = next(r for r in sim.ground_truth() if r["owner"]["id"] == sim.dataset.me)
    params = {"scope": ["sp:scopes:default"], "remediation_identity": "someone-else"}
    assert "owner" in (remediator.refusal("narrow-scope", cred(mine), params) or "")
    params["remediation_identity"] = sim.dataset.me
    assert remediator.refusal("narrow-scope", cred(mine), params) is None
    assert SailPointProvider.remediator is SailPointRemediator
