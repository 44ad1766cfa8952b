"""Clients made while the search pages (``providers.conductorone.early``) against the same
collection normalised wholly at the end: the inventories are identical, whatever the order in
which owners, roles and allow lists arrive, and whatever the vendor sends twice."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from auditor.kernel.model import TenantInventory
from auditor.kernel.secretmatch import WITHHELD, SecretSet
from auditor.kernel.withhold import clean, withhold_inventory
from providers.conductorone.early import _Early
from providers.conductorone.normalise import BadRecord, to_credential
from tests.fakes import count_compactions
from tests.providers.conductorone.conftest import FakeTime
from tests.providers.conductorone.test_adapter import (
    BASE,
    ROLES_BODY,
    mock_tenant,
    pc,
    provider,
    user,
)

CLIENTS = 330  # 14 pages of 25; 4 owner batches of up to 100


def _records() -> list[dict[str, Any]]:
    records = []
    for i in range(CLIENTS):
        extra: dict[str, Any] = {}
        if i % 7 == 0:
            extra["scopedRoles"] = ["R2", "R9"]  # R9: not in the catalogue
        if i % 11 == 0:
            extra["allowSourceCidr"] = ["10.0.0.0/8"]
        if i % 13 == 0:
            extra["deletedAt"] = "2026-10-01T00:00:00Z"
        records.append(pc(f"k{i:03d}", f"U{i % 290:03d}", **extra))
    records[40] = {"id": "bad", "userId": 5}  # unreadable record
    records[41] = pc("k007", "U007")  # listed twice
    return records


def _search(records: list[dict[str, Any]]) -> Any:
    def serve(request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content).get("pageToken", "")
        start = int(token or 0)
        nxt = str(start + 25) if start + 25 < len(records) else ""
        return httpx.Response(200, json={"list": records[start : start + 25], "nextPageToken": nxt})

    return serve


def _users(ask_again: bool) -> Any:
    """Users as asked, with a twist per id: missing, unreadable, left; and (``ask_again``) the
    last batch also returns, unasked, a different record of an owner from the first batch."""

    def serve(request: httpx.Request) -> httpx.Response:
        refs = [r["id"] for r in json.loads(request.content)["refs"]]
        found = []
        for uid in refs:
            n = int(uid[1:])
            if n % 17 == 0:
                continue  # not found
            if n % 19 == 0:
                found.append(user(uid, roleIds="R1"))  # unreadable: roleIds not a list
            elif n % 23 == 0:
                found.append(user(uid, employmentStatus="Terminated"))
            else:
                found.append(user(uid, roleIds=["R1"] if n % 2 else ["R2"]))
        if ask_again and "U289" in refs:
            found.append(user("U001", "DISABLED"))  # changes an owner already used
        return httpx.Response(200, json={"list": found, "nextPageToken": ""})

    return serve


def _collect(
    fake: FakeTime, *, early: bool, ask_again: bool, roles_after_owners: bool
) -> TenantInventory:
    async def roles(request: httpx.Request) -> httpx.Response:
        if roles_after_owners:
            for _ in range(200):  # every owner batch answered first
                await asyncio.sleep(0)
        return httpx.Response(200, json=ROLES_BODY)

    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, _search(_records()), _users(ask_again), roles=roles)
        made = provider(fake)
        inventory = asyncio.run(made.collect())
    return inventory


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    made: list[int] = []
    original = _Early._make

    def _make(self: _Early, indices: list[int]) -> None:
        made.extend(indices)
        original(self, indices)

    monkeypatch.setattr(_Early, "_make", _make)
    return made


@pytest.mark.parametrize("ask_again", [False, True])
@pytest.mark.parametrize("roles_after_owners", [False, True])
def test_made_early_or_at_the_end_the_inventory_is_the_same(
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    counting: list[int],
    ask_again: bool,
    roles_after_owners: bool,
) -> None:
    early = _collect(
        fake_time, early=True, ask_again=ask_again, roles_after_owners=roles_after_owners
    )
    assert len(counting) > CLIENTS // 2  # most were made while the search paged
    monkeypatch.setattr(_Early, "_early_note", lambda self, items, index: None)
    counting.clear()
    at_end = _collect(
        fake_time, early=False, ask_again=ask_again, roles_after_owners=roles_after_owners
    )
    assert counting == []
    assert early.model_dump_json() == at_end.model_dump_json()
    assert [e.record_id for e in early.coverage.record_errors] == ["bad"]
    by_id = {c.id: c for c in early.credentials}
    if ask_again:  # the record that came last is the owner every credential of U001 has
        assert by_id["k001"].owner.status == "disabled"
    else:
        assert by_id["k001"].owner.status == "active"


def test_a_client_that_cannot_be_made_is_a_record_error_either_way(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch, counting: list[int]
) -> None:
    """A client whose normalising fails (``BadRecord`` or a ``ValidationError`` from the model)
    is the same record error whether it failed early or at the end."""
    import providers.conductorone.assembly as assembly
    import providers.conductorone.early as early_module

    real = to_credential

    def failing(parsed: Any, **kwargs: Any) -> Any:
        if parsed.raw_id == "k100":
            raise BadRecord("made-up failure")
        return real(parsed, **kwargs)

    monkeypatch.setattr(early_module, "to_credential", failing)
    monkeypatch.setattr(assembly, "to_credential", failing)
    early = _collect(fake_time, early=True, ask_again=False, roles_after_owners=False)
    assert 100 in counting  # it was one of those made early
    monkeypatch.setattr(_Early, "_early_note", lambda self, items, index: None)
    at_end = _collect(fake_time, early=False, ask_again=False, roles_after_owners=False)
    assert early.model_dump_json() == at_end.model_dump_json()
    assert [e.record_id for e in early.coverage.record_errors] == ["bad", "k100"]


def _with_secrets(fake: FakeTime, records: list[dict[str, Any]]) -> tuple[Any, TenantInventory]:
    from providers.base import ClientFactory
    from providers.conductorone import ConductorOneProvider
    from tests.providers.conductorone.conftest import NOW, settings_for
    from tests.providers.conductorone.test_adapter import CLIENT_ID, SECRET

    secrets = SecretSet()
    ConductorOneProvider.register_secrets(SecretStr(SECRET), secrets)
    factory = ClientFactory(sleep=fake.sleep, clock=fake.clock, jitter=lambda: 0.5, secrets=secrets)
    made = ConductorOneProvider(settings_for(CLIENT_ID, SECRET), factory, wall_clock=lambda: NOW)
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, _search(records), _users(False))
        inventory = asyncio.run(made.collect())
    return made, inventory


def test_clean_credentials_are_vouched_for(fake_time: FakeTime) -> None:
    made, inventory = _with_secrets(fake_time, _records())
    secrets = made.vouched.secrets
    assert made.vouched.covers(inventory.credentials, secrets)
    assert secrets.generation > 1  # the secret, its key material and the bearer token
    assert withhold_inventory(inventory, secrets, made.vouched) is inventory


def test_a_credential_holding_withheld_text_is_not_vouched_for(fake_time: FakeTime) -> None:
    from tests.providers.conductorone.test_adapter import SECRET

    records = _records()
    records[200]["displayName"] = f"echo {SECRET[-30:]}"  # withheld at receipt: the mark stays
    made, inventory = _with_secrets(fake_time, records)
    assert made.vouched is None
    (echoed,) = [c for c in inventory.credentials if WITHHELD in c.name]
    assert not clean(echoed, SecretSet([SECRET]))


def test_every_credential_returned_was_shared_through_the_pool_handed_to_the_engine(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Provider.sharing``: the engine shares the inventory through the adapter's pool, which
    passes over what it shared already; every credential, made early or at the end, was."""
    made, inventory = _with_secrets(fake_time, _records())
    assert made.sharing is not None
    compacted = count_compactions(monkeypatch)
    made.sharing.share_all(inventory.credentials)
    assert len(inventory.credentials) > 250
    assert compacted == []
