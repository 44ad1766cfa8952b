"""The adapter against respx-mocked endpoints: paging, fallbacks, owners, roles, errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.kernel.errors import ConfigError, ResponseFormatError, ServerError
from auditor.kernel.http import HttpSettings
from auditor.kernel.model import Owner, TenantInventory
from auditor.kernel.secretmatch import WITHHELD
from providers.base import ClientFactory
from providers.conductorone import ConductorOneProvider
from providers.conductorone.auth import encode_client_secret
from tests.providers.conductorone.conftest import NOW, FakeTime, settings_for

BASE = "https://acme.conductor.one"
CLIENT_ID = "strange-hydra-68836@acme.conductor.one/pcc"
SECRET = encode_client_secret(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
TOKEN = "access-token-value-1234567890"
SEARCH = "/api/v1/search/iam/personal_clients"
USERS = "/api/v1/search/users"
ROLES_BODY = {
    "list": [
        {"id": "R1", "name": "system:user", "displayName": "Basic User", "permissions": ["p/a"]},
        {
            "id": "R2",
            "name": "system:owner",
            "displayName": "Super Administrator",
            "permissions": ["p/a", "p/b"],
        },
    ],
    "nextPageToken": "",
}


def pc(cid: str, user: str = "U1", **fields: Any) -> dict[str, Any]:
    return {"id": cid, "clientId": f"{cid}@acme.conductor.one/pcc", "userId": user, **fields}


def user(uid: str, status: str = "ENABLED", **fields: Any) -> dict[str, Any]:
    return {"user": {"id": uid, "status": status, "directoryStatus": "ENABLED", **fields}}


def provider(fake: FakeTime, http: HttpSettings | None = None) -> ConductorOneProvider:
    factory = ClientFactory(sleep=fake.sleep, clock=fake.clock, jitter=lambda: 0.5)
    return ConductorOneProvider(
        settings_for(CLIENT_ID, SECRET, http=http), factory, wall_clock=lambda: NOW
    )


def body_of(call: Any) -> Any:
    return json.loads(call.request.content)


def pages(*bodies: Any) -> Any:
    """A respx side effect serving search pages keyed by the request's pageToken."""
    by_token = {b[0]: b[1] for b in bodies}

    def serve(request: httpx.Request) -> httpx.Response:
        token = json.loads(request.content).get("pageToken", "")
        return httpx.Response(200, json=by_token[token])

    return serve


def users_echo(
    overrides: dict[str, Any] | None = None, missing: frozenset[str] = frozenset()
) -> Any:
    def serve(request: httpx.Request) -> httpx.Response:
        refs = [r["id"] for r in json.loads(request.content)["refs"]]
        found = [(overrides or {}).get(i) or user(i) for i in refs if i not in missing]
        return httpx.Response(200, json={"list": found, "nextPageToken": "", "expanded": []})

    return serve


def mock_tenant(
    mock: respx.MockRouter,
    search: Any,
    users: Any = None,
    roles: Any = None,
    settings: Any = None,
) -> dict[str, Any]:
    routes = {
        "token": mock.post("/auth/v1/token").respond(
            200, json={"access_token": TOKEN, "expires_in": 600}
        ),
        "search": mock.post(SEARCH).mock(side_effect=search),
        "roles": mock.get("/api/v1/iam/roles").mock(
            side_effect=roles or [httpx.Response(200, json=ROLES_BODY)]
        ),
        "users": mock.post(USERS).mock(side_effect=users or users_echo()),
        "settings": mock.get("/api/v1/settings/session").mock(
            side_effect=settings or [httpx.Response(200, json={"sessionSettings": {}})]
        ),
    }
    return routes


def collect(fake: FakeTime, http: HttpSettings | None = None) -> TenantInventory:
    return asyncio.run(provider(fake, http).collect())


def test_pages_roles_owners_and_request_count(fake_time: FakeTime) -> None:
    search = pages(
        ("", {"list": [pc("a", scopedRoles=["R1"]), pc("b", "U2")], "nextPageToken": "p2"}),
        ("p2", {"list": [pc("c", "U1", scopedRoles=["R2", "R9"])], "nextPageToken": "p3"}),
        ("p3", {"list": [pc("d", "U3")]}),  # nextPageToken absent: last page
    )
    roles = [
        httpx.Response(200, json={"list": ROLES_BODY["list"][:1], "nextPageToken": "r2"}),
        httpx.Response(200, json={"list": ROLES_BODY["list"][1:], "nextPageToken": ""}),
    ]
    owners = {"U2": user("U2", displayName="Bo", email="bo@x", roleIds=["R2"])}
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        r = mock_tenant(mock, search, users_echo(owners, missing=frozenset({"U3"})), roles)
        inv = collect(fake_time)
    assert [c.id for c in inv.credentials] == ["a", "b", "c", "d"]
    a, b, c, d = inv.credentials
    assert (a.scopes, a.scope_mode) == (("system:user",), "scoped")
    assert (b.scopes, b.scope_mode) == ((), "full")
    assert c.scopes == ("system:owner", "R9")
    assert c.notes == ("scoped role ids not in the role catalogue (kept as ids): R9",)
    assert b.owner == Owner(
        id="U2", name="Bo", email="bo@x", status="active", roles=("system:owner",)
    )
    assert d.owner == Owner(id="U3", status="not_found")
    assert inv.coverage.status == "complete"
    assert inv.coverage.notes == ()
    assert [body_of(x) for x in r["search"].calls] == [
        {"pageSize": 25},
        {"pageSize": 25, "pageToken": "p2"},
        {"pageSize": 25, "pageToken": "p3"},
    ]
    assert [dict(x.request.url.params) for x in r["roles"].calls] == [
        {"page_size": "100"},
        {"page_size": "100", "page_token": "r2"},
    ]
    assert body_of(r["users"].calls[0]) == {
        "refs": [{"id": "U1"}, {"id": "U2"}, {"id": "U3"}],
        "userStatuses": ["ENABLED", "DISABLED", "DELETED"],
        "pageSize": 100,
    }
    for route in ("search", "roles", "users"):
        assert all(x.request.headers["authorization"] == f"Bearer {TOKEN}" for x in r[route].calls)
    # 1 token + 3 search pages + 2 role pages + 1 owner batch + 1 session settings
    assert (inv.coverage.requests, inv.coverage.retries) == (8, 0)
    assert r["token"].call_count == 1


def test_owner_lookups_are_batched_by_100(fake_time: FakeTime) -> None:
    records = [pc(f"k{i:03d}", f"U{i:03d}") for i in range(250)]
    chunks = [records[i : i + 25] for i in range(0, 250, 25)]
    search = pages(
        *[
            (
                "" if i == 0 else f"p{i}",
                {"list": chunk, "nextPageToken": f"p{i + 1}" if i < 9 else ""},
            )
            for i, chunk in enumerate(chunks)
        ]
    )
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        r = mock_tenant(mock, search)
        inv = collect(fake_time)
    assert len(inv.credentials) == 250
    assert all(c.owner.status == "active" for c in inv.credentials)
    sizes = sorted(len(body_of(x)["refs"]) for x in r["users"].calls)
    assert sizes == [50, 100, 100]
    assert inv.coverage.requests == 1 + 10 + 1 + 3 + 1  # + session settings


def test_search_forbidden_falls_back_to_own_list(fake_time: FakeTime) -> None:
    denied = httpx.Response(
        403, json={"code": 7, "message": "Permission denied, missing permission/x (request-id: 9)"}
    )
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, [denied])
        own = mock.get("/api/v1/iam/personal_clients").respond(
            200, json={"list": [pc("mine-1"), pc("mine-2")], "nextPageToken": ""}
        )
        inv = collect(fake_time)
    assert own.call_count == 1
    assert [c.id for c in inv.credentials] == ["mine-1", "mine-2"]
    assert inv.coverage.status == "partial"
    assert inv.coverage.notes == (
        "partial population: searching every user's personal clients was refused (Permission "
        "denied, missing permission/x (PERMISSION_DENIED 7)); only the calling user's own "
        "personal clients were collected; give the scanning credential's owner the Super "
        "Administrator role; request id 9",
    )
    (note,) = inv.coverage.causes
    assert (note.kind, note.first_request_id) == ("list-refused", "9")
    # token, refused search, own, roles, users, session settings
    assert inv.coverage.requests == 1 + 1 + 1 + 1 + 1 + 1


REFUSED = "owner lookup refused (Permission denied (PERMISSION_DENIED 7))"


def test_user_search_forbidden_leaves_owners_unknown(fake_time: FakeTime) -> None:
    denied = httpx.Response(403, json={"code": 7, "message": "Permission denied"})
    search = pages(("", {"list": [pc("a", "U1"), pc("b", "U2")], "nextPageToken": ""}))
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, search, users=[denied])
        inv = collect(fake_time)
    assert [c.owner for c in inv.credentials] == [
        Owner(id="U1", status="unknown", status_reason=REFUSED),
        Owner(id="U2", status="unknown", status_reason=REFUSED),
    ]
    # every client is still collected and its owner rules give `manual`: the population is whole
    assert inv.coverage.status == "complete"
    assert inv.coverage.notes == (
        "owner lookup refused (Permission denied (PERMISSION_DENIED 7)) for 2 owners; "
        "their status is unknown",
    )
    assert inv.coverage.causes == ()  # a caveat: the population is whole


def test_refused_owner_batches_aggregate_into_one_note(
    fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 17: one note per refused batch, each with its own request id, was a wall of text
    monkeypatch.setattr(ConductorOneProvider, "owner_batch_size", 2)
    rids = iter(["r-1", "r-2", "r-3"])

    def refuse(request: httpx.Request) -> httpx.Response:
        message = f"Permission denied, missing p/users (request-id: {next(rids)})"
        return httpx.Response(403, json={"code": 7, "message": message})

    clients = [pc(f"c{i}", f"U{i}") for i in range(5)]
    search = pages(("", {"list": clients, "nextPageToken": ""}))
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, search, users=refuse)
        inv = collect(fake_time)
    (note,) = inv.coverage.note_details
    assert (note.kind, note.severity, note.count, note.batches) == (
        "owner-lookup-refused",
        "caveat",
        5,
        3,
    )
    assert note.first_request_id in {"r-1", "r-2", "r-3"}
    assert inv.coverage.notes == (
        "owner lookup refused (Permission denied, missing p/users (PERMISSION_DENIED 7)) for 5 "
        f"owners in 3 batches; their status is unknown; first request id {note.first_request_id}",
    )


def test_roles_unavailable_keeps_ids_and_says_so(fake_time: FakeTime) -> None:
    search = pages(("", {"list": [pc("a", scopedRoles=["R2"])], "nextPageToken": ""}))
    failure = httpx.Response(403, json={"code": 7, "message": "no roles for you"})
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, search, roles=[failure])
        inv = collect(fake_time)
    assert inv.credentials[0].scopes == ("R2",)
    assert inv.credentials[0].notes == ()
    assert inv.credentials[0].unresolved_roles == ("R2",)
    assert inv.coverage.status == "partial"
    assert inv.coverage.notes[0].startswith(
        "the role catalogue could not be read (no roles for you"
    )


def test_deleted_excluded_and_malformed_reported(fake_time: FakeTime) -> None:
    items = [
        pc("ok-1"),
        pc("gone", deletedAt="2026-10-30T00:00:00Z"),
        {"clientId": "x@acme.conductor.one/pcc", "userId": "U1"},
        pc("bad-time", createdAt="yesterday"),
        pc("bad-type", scopedRoles="R1"),
        "not an object",
        pc("ok-2", lastUsedAt="2026-10-30T00:00:00.123456789Z"),
    ]
    search = pages(("", {"list": items, "nextPageToken": ""}))
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, search)
        inv = collect(fake_time)
    assert [c.id for c in inv.credentials] == ["ok-1", "ok-2"]
    cov = inv.coverage
    assert cov.excluded_deleted == 1
    assert [(e.index, e.record_id) for e in cov.record_errors] == [
        (2, None),
        (3, "bad-time"),
        (4, "bad-type"),
        (5, None),
    ]
    assert cov.status == "partial"
    assert cov.notes == (  # the cause first
        "4 personal client record(s) could not be read",
        "1 soft-deleted personal client(s) excluded (deletedAt set)",
    )
    assert cov.reasons() == ("4 record(s) could not be read; the population is incomplete",)


@pytest.mark.parametrize("end", [{"nextPageToken": ""}, {"nextPageToken": None}, {}])
@pytest.mark.parametrize("empty", [{"list": []}, {"list": None}, {}])
def test_empty_lists_and_page_token_variants(
    fake_time: FakeTime, end: dict[str, Any], empty: dict[str, Any]
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        r = mock_tenant(mock, [httpx.Response(200, json={**empty, **end})])
        inv = collect(fake_time)
    assert inv.credentials == ()
    assert inv.coverage.status == "complete"
    assert r["search"].call_count == 1
    assert r["users"].call_count == 0  # no owners, no lookups


def test_repeated_page_token_stops(fake_time: FakeTime) -> None:
    loop = httpx.Response(200, json={"list": [pc("a")], "nextPageToken": "same"})
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        r = mock_tenant(mock, [loop, loop, loop])
        inv = collect(fake_time)
    # what was read is valid: the tenant is partial with the reason, not failed
    assert r["search"].call_count == 2
    assert inv.coverage.status == "partial"
    assert any("paging stopped" in n and "already returned" in n for n in inv.coverage.notes)


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (
            httpx.Response(500, json={"code": 13, "message": "db exploded"}),
            ServerError,
            "HTTP 500: db exploded (INTERNAL 13)",
        ),
        (httpx.Response(200, content=b"<html>"), ResponseFormatError, "not JSON"),
        (
            httpx.Response(200, json={"list": {"a": 1}}),
            ResponseFormatError,
            "'list' is not an array",
        ),
        (
            httpx.Response(200, json={"nextPageToken": 5}),
            ResponseFormatError,
            "'nextPageToken' is not a string",
        ),
        (httpx.Response(200, json=[1]), ResponseFormatError, "not a JSON object"),
    ],
)
def test_search_failures_fail_the_tenant(
    fake_time: FakeTime, response: httpx.Response, error: type[Exception], text: str
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, [response])
        with pytest.raises(error) as info:
            collect(fake_time, HttpSettings(max_retries=0))
    assert text in str(info.value)
    assert TOKEN not in str(info.value)
    assert SECRET not in str(info.value)


def test_401_mints_a_new_token_once(fake_time: FakeTime) -> None:
    search = [
        httpx.Response(401, json={"code": 16, "message": "unauthenticated"}),
        httpx.Response(200, json={"list": [pc("a")], "nextPageToken": ""}),
    ]
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        r = mock_tenant(mock, search)
        inv = collect(fake_time)
    assert [c.id for c in inv.credentials] == ["a"]
    assert r["token"].call_count == 2


def test_429_honours_retry_after(fake_time: FakeTime) -> None:
    search = [
        httpx.Response(429, headers={"Retry-After": "3"}, json={"code": 8, "message": "slow down"}),
        httpx.Response(503, json={"code": 14, "message": "unavailable"}),
        httpx.Response(200, json={"list": [pc("a")], "nextPageToken": ""}),
    ]
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, search)
        inv = collect(fake_time)
    assert [c.id for c in inv.credentials] == ["a"]
    assert fake_time.slept == [3.0, 0.75]  # Retry-After, then 1 s backoff with jitter 0.5
    assert inv.coverage.retries == 2


def test_duplicates_across_pages_counted_once(fake_time: FakeTime) -> None:
    search = pages(
        ("", {"list": [pc("a"), pc("b")], "nextPageToken": "p2"}),
        ("p2", {"list": [pc("b"), pc("c")], "nextPageToken": ""}),
    )
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, search)
        inv = collect(fake_time)
    assert [c.id for c in inv.credentials] == ["a", "b", "c"]
    # a page that repeats records may have displaced others, as for SailPoint
    assert inv.coverage.status == "partial"
    assert inv.coverage.notes == (
        "partial population: 1 record(s) listed twice across pages, counted once; the repeats "
        "may have displaced records that were never listed",
    )


def test_unknown_enum_values_and_unreadable_users(fake_time: FakeTime) -> None:
    odd = {
        "U1": user("U1", "SUSPENDED", type="USER_TYPE_ROBOT"),
        "U2": user("U2", directoryStatus="ARCHIVED"),
        "U3": {"userId": "U3", "user": None},
        "U4": user("U4", deletedAt="not a date"),
    }
    search = pages(
        (
            "",
            {
                "list": [pc("a", "U1"), pc("b", "U2"), pc("c", "U3"), pc("d", "U4")],
                "nextPageToken": "",
            },
        )
    )
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock_tenant(mock, search, users_echo(odd))
        inv = collect(fake_time)
    statuses = [(c.owner.status, c.notes) for c in inv.credentials]
    assert statuses == [
        (
            "unknown",
            (
                "owner status 'SUSPENDED' is not one the API documents",
                "owner's User.type is USER_TYPE_ROBOT (not USER_TYPE_HUMAN)",  # unknown: kept
            ),
        ),
        ("active", ()),
        ("unknown", ()),
        ("unknown", ()),
    ]
    assert inv.coverage.status == "complete"  # owners unknown, population whole
    assert len(inv.coverage.notes) == 2


def test_validate_and_base_url() -> None:
    good = settings_for(CLIENT_ID, SECRET)
    ConductorOneProvider.validate(good)
    assert ConductorOneProvider.base_url_for(good) == "https://acme.conductor.one"
    custom = settings_for(CLIENT_ID, SECRET, base_url="http://127.0.0.1:8123/")
    ConductorOneProvider.validate(custom)
    assert ConductorOneProvider.base_url_for(custom) == "http://127.0.0.1:8123"
    cases = [
        (settings_for("nope", SECRET), "client_id"),
        (settings_for(CLIENT_ID, "secret-token:conductorone.com:v1:AAAA"), "client_secret_env"),
        (settings_for(CLIENT_ID, SECRET, base_url="http://acme.conductor.one"), "base_url"),
        (settings_for(CLIENT_ID, SECRET, base_url="ftp://x"), "base_url"),
    ]
    for settings, key in cases:
        with pytest.raises(ConfigError) as info:
            ConductorOneProvider.validate(settings)
        assert info.value.key == key
        assert "AAAA" not in str(info.value)
    from dataclasses import replace

    with pytest.raises(ConfigError) as info:
        ConductorOneProvider.validate(replace(good, api_version="v2"))
    assert info.value.key == "api_version"
    assert ConductorOneProvider.capabilities.model_dump() == {
        "network_restriction": True,
        "expiry": True,
        "last_used": True,
        "last_used_granularity_seconds": 0,
        "last_used_since": None,
    }
    assert ConductorOneProvider.name == "conductorone"


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (httpx.Response(404, json={"code": 5, "message": "not found"}), "failed: not found"),
        (
            httpx.Response(403, json={"code": 7, "message": "Permission denied"}),
            "refused: Permission denied",
        ),
        (httpx.Response(200, json={"sessionSettings": []}), "unexpected response"),
        (
            httpx.Response(200, json={"sessionSettings": {"pccUserSource": {"enabled": "yes"}}}),
            "unexpected response",
        ),
    ],
)
def test_unreadable_session_settings_leave_the_restriction_unknown(
    fake_time: FakeTime, response: httpx.Response, says: str
) -> None:
    search = pages(("", {"list": [pc("a"), pc("b", allowSourceCidr=["10.1.2.0/24"])]}))
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock_tenant(mock, search, settings=[response])
        inv = collect(fake_time)
    a, b = inv.credentials
    assert a.inherited_restriction is not None
    assert a.inherited_restriction.state == "unknown"
    assert says in a.inherited_restriction.reason
    # its own list restricts it; what the tenant lists may add to it is unknown
    assert b.inherited_restriction is not None
    assert b.inherited_restriction.state == "unknown"
    assert inv.coverage.status == "complete"
    assert inv.coverage.notes == (a.inherited_restriction.reason,)


def test_session_settings_decide_the_inherited_restriction(fake_time: FakeTime) -> None:
    settings = {
        "sessionSettings": {
            "pccUserSource": {"enabled": True, "sourceCidr": ["10.9.0.0/16"]},
            "pccAdminSource": {"enabled": True, "sourceCidr": ["0.0.0.0/0"]},
        }
    }
    search = pages(("", {"list": [pc("plain", "U1"), pc("admin", "U2")]}))
    owners = {
        "U1": user("U1", roleIds=["R1"]),
        "U2": user("U2", roleIds=["R2"]),
    }
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock_tenant(mock, search, users_echo(owners), settings=[httpx.Response(200, json=settings)])
        inv = collect(fake_time)
    plain, admin = inv.credentials
    assert plain.inherited_restriction is not None and admin.inherited_restriction is not None
    assert [str(n) for n in plain.inherited_restriction.cidrs] == ["10.9.0.0/16"]
    assert [str(n) for n in admin.inherited_restriction.cidrs] == ["10.9.0.0/16", "0.0.0.0/0"]
    assert admin.privilege is not None and admin.privilege.roles == ("system:user", "system:owner")
    assert plain.notes == (
        "no allowSourceCidr of its own; restricted by the tenant session settings "
        "(pccUserSource): 10.9.0.0/16",
    )


def test_a_page_token_holding_a_secret_is_never_sent_raw(fake_time: FakeTime) -> None:
    # the next page is requested before a page is read (issue 16), but only with a token that
    # holds no fragment of the scan's secrets (the bearer token is one): otherwise the token is
    # sent as withholding left it, as it was page by page
    leaky = f"p2-{TOKEN}"
    withheld = f"p2-{WITHHELD}"
    search = pages(
        ("", {"list": [pc("a")], "nextPageToken": leaky}),
        (withheld, {"list": [pc("b")], "nextPageToken": "p3"}),
        ("p3", {"list": [pc("c")]}),
    )
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        r = mock_tenant(mock, search)
        inv = collect(fake_time)
    sent = [body_of(call).get("pageToken", "") for call in r["search"].calls]
    assert sent == ["", withheld, "p3"]
    assert all(TOKEN not in call.request.content.decode() for call in r["search"].calls)
    assert [c.id for c in inv.credentials] == ["a", "b", "c"]
