"""Owner user levels (``GET /v3/auth-users/{id}``): who is looked up, each answer, each failure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from auditor.app.config import load_config
from auditor.kernel.errors import ConfigError
from auditor.kernel.http import HttpSettings
from auditor.kernel.model import TenantInventory
from policies import evaluate, load_policy
from providers.sailpoint import SailPointProvider, SimFaults
from providers.sailpoint.levels import auth_user_path, levels_for
from tests.fakes import FakeTime
from tests.providers.conductorone.conftest import make_sim as make_c1_sim
from tests.providers.sailpoint.conftest import (
    BASE,
    make_sim,
    respx_factory,
    settings,
    sim_factory,
)
from tests.providers.sailpoint.scope_spec import scope_levels
from tests.providers.sailpoint.test_adapter import FORBIDDEN, identity, pat
from tests.providers.sailpoint.test_e2e import assert_levels

FULL = {"scope": None}
ALL = {"scope": ["sp:scopes:all"]}


def collect(
    mock: respx.MockRouter,
    records: list[dict[str, Any]],
    identities: list[dict[str, Any]],
    *,
    user_levels: bool | None = True,
    retries: int = 0,
    concurrency: int = 8,
) -> TenantInventory:
    mock.post("/oauth/token").respond(200, json={"access_token": "t", "expires_in": 749})
    mock.get("/v3/personal-access-tokens").respond(200, json=records)
    mock.get("/v3/public-identities").respond(200, json=identities)
    http = HttpSettings(max_retries=retries, max_concurrency=concurrency)
    tenant = settings(user_levels=user_levels, http=http)
    return asyncio.run(SailPointProvider(tenant, respx_factory(FakeTime())).collect())


def roles(inventory: TenantInventory) -> dict[str, tuple[str, ...]]:
    return {c.id[-2:]: c.owner.roles for c in inventory.credentials}


@pytest.mark.parametrize(
    ("body", "levels"),
    [
        ({"capabilities": None}, ("USER",)),
        ({"id": "o1", "capabilities": ["ORG_ADMIN"]}, ("ORG_ADMIN",)),
        ({"id": "o2", "capabilities": ["ORG_ADMIN"]}, None),  # another identity's answer
        ({"capabilities": []}, ("USER",)),
        ({"capabilities": ["ORG_ADMIN"]}, ("ORG_ADMIN",)),
        (
            {"capabilities": ["CERT_ADMIN", "REPORT_ADMIN", "CERT_ADMIN"]},
            ("CERT_ADMIN", "REPORT_ADMIN"),
        ),
        ({"capabilities": "ORG_ADMIN"}, None),  # not a list: unknown, never guessed
        ({"capabilities": [1]}, None),
        ({"id": "x"}, None),  # no capabilities at all
        (["ORG_ADMIN"], None),
        (None, None),
    ],
)
def test_levels_for_each_body_shape(body: Any, levels: tuple[str, ...] | None) -> None:
    assert levels_for(body, "o1") == levels


@pytest.mark.parametrize(
    ("owner_id", "path"),
    [
        ("2c91808458ae7a4f0158b1bbf8af0628", "/v3/auth-users/2c91808458ae7a4f0158b1bbf8af0628"),
        ("a/../../admin", "/v3/auth-users/a%2F..%2F..%2Fadmin"),
        ("x?y#z", "/v3/auth-users/x%3Fy%23z"),
        ("..", None),
        (".", None),
        ("", None),
    ],
)
def test_owner_ids_are_one_encoded_path_segment(owner_id: str, path: str | None) -> None:
    assert auth_user_path(owner_id) == path


def test_each_lookup_reports_progress() -> None:
    records = [pat(n, f"o{n}", **FULL) for n in range(1, 6)]
    seen: list[int] = []
    with respx.mock(base_url=BASE) as mock:
        mock.post("/oauth/token").respond(200, json={"access_token": "t", "expires_in": 749})
        mock.get("/v3/personal-access-tokens").respond(200, json=records)
        mock.get("/v3/public-identities").respond(
            200, json=[identity(f"o{n}") for n in range(1, 6)]
        )
        mock.get(url__regex=r"/v3/auth-users/.*").respond(200, json={"capabilities": None})
        provider = SailPointProvider(settings(user_levels=True), respx_factory(FakeTime()))
        provider.on_progress = seen.append
        asyncio.run(provider.collect())
    assert seen == [5] * 6  # once when listed, then once per owner looked up


def test_only_owners_whose_level_matters_are_looked_up_once_each() -> None:
    records = [
        pat(1, "o1", **FULL),
        pat(2, "o1", **ALL),
        pat(3, "o2", scope=["sp:scopes:default"]),  # a scope any level may use: no lookup
        pat(4, "o3", **ALL),
        pat(5, "ghost", **FULL),  # unknown to the tenant: no auth user to ask for
        # a scope the v3 spec reserves for administrative levels: the level decides whether the
        # PAT can exercise it
        pat(6, "o4", scope=["idn:sources:manage", "sp:oauth-client:manage"]),
    ]
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        o1 = mock.get("/v3/auth-users/o1").respond(200, json={"capabilities": ["ORG_ADMIN"]})
        o3 = mock.get("/v3/auth-users/o3").respond(200, json={"capabilities": None})
        o4 = mock.get("/v3/auth-users/o4").respond(200, json={"capabilities": []})
        people = [identity("o1"), identity("o2"), identity("o3"), identity("o4")]
        inventory = collect(mock, records, people)
    assert (o1.call_count, o3.call_count, o4.call_count) == (1, 1, 1)
    assert roles(inventory) == {
        "01": ("ORG_ADMIN",), "02": ("ORG_ADMIN",), "03": (), "04": ("USER",), "05": (),
        "06": ("USER",),
    }  # fmt: skip
    # a plain user cannot exercise idn:sources:manage (v3 spec: ORG_ADMIN, SOURCE_ADMIN,
    # SOURCE_SUBADMIN); sp:oauth-client:manage's operations name no level: not ruled out
    assert {c.id[-2:]: c.unusable_scopes for c in inventory.credentials}["06"] == (
        "idn:sources:manage",
    )
    assert inventory.coverage.status == "complete"
    assert inventory.coverage.requests == 6  # token, list, identities, three levels


def test_the_level_decides_privileged_access_for_full_scope_pats() -> None:
    records = [pat(1, "admin", **FULL), pat(2, "user", **ALL), pat(3, "gone", **FULL)]
    people = [identity("admin"), identity("user"), identity("gone")]
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/auth-users/admin").respond(200, json={"capabilities": ["ORG_ADMIN"]})
        mock.get("/v3/auth-users/user").respond(200, json={"capabilities": []})
        mock.get("/v3/auth-users/gone").respond(404, json={"detailCode": "404 Not found"})
        inventory = collect(mock, records, people)
    policy = load_policy(None, tenants=["acme-isc"], base_dir=Path())
    result = evaluate([inventory], policy, [], datetime(2026, 11, 24, tzinfo=UTC))
    privileged = {
        f.credential_id[-2:]: f.status for f in result.findings if f.rule_id == "privileged-access"
    }
    # the ORG_ADMIN owner's PAT fails, the plain user's passes, the unknown level stays manual
    assert privileged == {"01": "fail", "03": "manual"}
    assert result.result_counts["privileged-access"]["pass"] == 1
    assert any(
        "1 owner of full-scope or admin-scoped PATs without an auth user" in n
        for n in inventory.coverage.notes
    )


@pytest.mark.parametrize("concurrency", [1, 2, 5])
def test_the_first_refusal_stops_every_worker(concurrency: int) -> None:
    records = [pat(n, f"o{n}", **FULL) for n in range(1, 41)]
    with respx.mock(base_url=BASE) as mock:
        levels = mock.get(url__regex=r"/v3/auth-users/.*").respond(403, json=FORBIDDEN)
        inventory = collect(
            mock, records, [identity(f"o{n}") for n in range(1, 41)], concurrency=concurrency
        )
    assert levels.call_count <= concurrency  # each worker sends at most its one request
    assert len(inventory.credentials) == 40


def test_a_refusal_stops_the_lookups_and_says_how_to_fix_it() -> None:
    records = [pat(n, f"o{n}", **FULL) for n in range(1, 7)]
    with respx.mock(base_url=BASE) as mock:
        levels = mock.get(url__regex=r"/v3/auth-users/.*").respond(403, json=FORBIDDEN)
        inventory = collect(mock, records, [identity(f"o{n}") for n in range(1, 7)])
    assert levels.call_count <= 8  # at most one refusal per worker, then no more requests
    assert set(roles(inventory).values()) == {()}
    assert inventory.coverage.status == "complete"  # every PAT was collected and is evaluated
    (note,) = [n for n in inventory.coverage.notes if "user levels unverified" in n]
    assert note.startswith(
        "owner user levels unverified for 6 owners of full-scope or admin-scoped PATs: "
    )
    assert "sp:auth-user:read" in note and "turn user_levels off" in note


def test_failures_are_per_owner_and_summarised() -> None:
    records = [pat(1, "ok", **FULL), pat(2, "broken", **FULL), pat(3, "odd", **FULL)]
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/auth-users/ok").respond(200, json={"capabilities": ["HELPDESK"]})
        mock.get("/v3/auth-users/broken").respond(500, json={"detailCode": "500.0 Internal Fault"})
        mock.get("/v3/auth-users/odd").respond(200, json={"capabilities": {"level": "ORG_ADMIN"}})
        inventory = collect(
            mock, records, [identity("ok"), identity("broken"), identity("odd")], retries=1
        )
    assert roles(inventory) == {"01": ("HELPDESK",), "02": (), "03": ()}
    (note,) = [n for n in inventory.coverage.notes if "after failed lookups" in n]
    assert note.startswith("owner user level unverified for 2 owners after failed lookups: ")
    assert "broken: HTTP 500" in note and "odd: the answer has no capabilities list" in note


def test_a_timeout_or_an_unreadable_answer_costs_one_owner_not_the_tenant() -> None:
    owners = ["slow", "html", "other", "ok"]
    records = [pat(n, owner, **FULL) for n, owner in enumerate(owners, 1)]
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/auth-users/slow").mock(side_effect=httpx.ConnectTimeout("timed out"))
        mock.get("/v3/auth-users/html").respond(200, text="<html>maintenance</html>")
        mock.get("/v3/auth-users/other").respond(
            200, json={"id": "someone-else", "capabilities": []}
        )
        mock.get("/v3/auth-users/ok").respond(200, json={"id": "ok", "capabilities": []})
        inventory = collect(mock, records, [identity(o) for o in owners], retries=1)
    assert roles(inventory) == {"01": (), "02": (), "03": (), "04": ("USER",)}
    assert inventory.coverage.status == "complete"
    (note,) = [n for n in inventory.coverage.notes if "after failed lookups" in n]
    assert note.startswith("owner user level unverified for 3 owners after failed lookups: ")
    assert "other: the answer has no capabilities list for it" in note


def test_an_owner_id_that_cannot_be_a_path_segment_is_not_requested() -> None:
    odd = "x" * 300
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        inventory = collect(
            mock, [pat(1, odd, **FULL), pat(2, "..", **FULL)], [identity(odd), identity("..")]
        )
        assert not any("auth-users" in str(c.request.url) for c in mock.calls)
    (note,) = [n for n in inventory.coverage.notes if "after failed lookups" in n]
    assert "cannot be a path segment" in note and odd not in note


@pytest.mark.parametrize("user_levels", [None, False])
def test_off_by_default_makes_no_request_and_says_how_to_turn_it_on(
    user_levels: bool | None,
) -> None:
    records = [
        pat(1, "o1", **FULL),
        pat(2, "o1", **ALL),
        pat(3, "o2", **FULL),
        pat(4, "o3"),
        pat(5, "ghost", **FULL),  # an owner the tenant does not know: not counted
    ]
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        inventory = collect(
            mock, records, [identity(o) for o in ("o1", "o2", "o3")], user_levels=user_levels
        )
        assert not any("auth-users" in str(c.request.url) for c in mock.calls)
    assert set(roles(inventory).values()) == {()}
    (note,) = [n for n in inventory.coverage.notes if "user_levels" in n]
    assert note == (
        "owner user levels were not read (user_levels is off, the default), so privileged-access "
        "is manual for 3 full-scope PATs of known owners; user_levels: true reads them: one GET "
        "/v3/auth-users/{id} per owner (2 here), scope sp:auth-user:read"
    )


def test_no_full_scope_pat_no_note() -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        inventory = collect(mock, [pat(1, "o1")], [identity("o1")], user_levels=None)
    assert not any("user level" in n for n in inventory.coverage.notes)


def test_user_levels_is_a_sailpoint_setting(tmp_path: Path) -> None:
    sim = make_c1_sim()
    client_id, secret = sim.mint_client()
    path = tmp_path / "c.yaml"
    path.write_text(
        "tenants:\n  - name: c1\n    provider: conductorone\n"
        f"    client_id: {client_id}\n    client_secret_env: S\n    user_levels: true\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, env={"S": secret})
    assert "tenants[0].user_levels: user_levels applies to sailpoint tenants only" in str(
        info.value
    )


def test_simulated_tenant_end_to_end_matches_its_data() -> None:
    fake = FakeTime()
    sim = make_sim(fake, size=900, seed=5)
    client_id, secret = sim.mint_client()
    inventory = asyncio.run(
        SailPointProvider(
            settings(client_id, secret, user_levels=True), sim_factory(sim, fake)
        ).collect()
    )
    looked_up = assert_levels(sim, inventory)  # the e2e module's independent check
    assert looked_up > 100
    assert any(c.owner.roles == ("ORG_ADMIN",) for c in inventory.credentials)
    assert any(c.unusable_scopes for c in inventory.credentials)
    # exactly one 404 per owner asked for whose identity has no login (no auth user)
    table = scope_levels()
    people = {i.id: i for i in sim.dataset.identities}
    asked = {
        c.owner.id
        for c in inventory.credentials
        if c.owner.id in people
        and (
            c.scope_mode == "full"
            or any(table.get(s) is not None and "USER" not in (table[s] or ()) for s in c.scopes)
        )
    }
    no_login = {o for o in asked if not people[o or ""].login}
    assert no_login and sim.served.get(404, 0) == len(no_login)
    assert sim.served.get(403, 0) == 0


def test_simulated_refusal_end_to_end() -> None:
    fake = FakeTime()
    sim = make_sim(fake, faults=SimFaults(deny_user_level_lookup=True))
    client_id, secret = sim.mint_client()
    inventory = asyncio.run(
        SailPointProvider(
            settings(client_id, secret, user_levels=True), sim_factory(sim, fake)
        ).collect()
    )
    assert {c.owner.roles for c in inventory.credentials} == {()}
    assert any("sp:auth-user:read" in n for n in inventory.coverage.notes)
    assert sim.served[403] >= 1
