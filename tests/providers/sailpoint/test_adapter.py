"""The adapter against mocked HTTP (respx): every response shape, version and error path."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from auditor.app.config import load_config
from auditor.app.engine import tenant_settings
from auditor.kernel.errors import (
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
)
from auditor.kernel.http import HttpSettings, RateLimit
from auditor.kernel.model import TenantInventory
from providers.base import Provider, TenantSettings
from providers.conductorone import ConductorOneProvider
from providers.sailpoint import SailPointProvider
from providers.sailpoint.options import SailPointOptions
from providers.sailpoint.owners import batches, id_filter
from providers.sailpoint.versions import VERSIONS
from tests.fakes import FakeTime
from tests.providers.conductorone.conftest import make_sim as make_c1_sim
from tests.providers.sailpoint.conftest import BASE, respx_factory, settings

SECRET = "s3cr3t-value-never-shown"
FORBIDDEN = {
    "detailCode": "403 Forbidden",
    "trackingId": "b21b1f7ce4da4d639f2c62a57171b427",
    "messages": [
        {
            "locale": "en-US",
            "localeOrigin": "DEFAULT",
            "text": "The server understood the request but refuses to authorize it.",
        }
    ],
}
DENIED_TEXT = (
    "403 Forbidden: The server understood the request but refuses to authorize it. "
    "(tracking id b21b1f7ce4da4d639f2c62a57171b427)"
)


def pat(n: int, owner: str = "o1", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{n:032x}",
        "name": f"PAT {n}",
        "scope": ["idn:identity:read"],
        "owner": {"type": "IDENTITY", "id": owner, "name": f"Owner {owner}"},
        "created": "2026-01-02T03:04:05.678Z",
        "lastUsed": "2026-11-01T00:00:00.000Z",
        **extra,
    }


def identity(owner: str, state: str | None = "ACTIVE", **extra: Any) -> dict[str, Any]:
    return {
        "id": owner,
        "name": f"Owner {owner}",
        "alias": owner,
        "email": f"{owner}@x.example",
        "status": "Active",
        "identityState": state,
        **extra,
    }


def collect(
    mock: respx.MockRouter,
    *,
    version: str | None = None,
    retries: int = 0,
    identities: list[dict[str, Any]] | None = None,
) -> TenantInventory:
    mock.post("/oauth/token").respond(200, json={"access_token": "t", "expires_in": 749})
    if identities is not None:
        mock.get("/v3/public-identities").respond(200, json=identities)
    http = HttpSettings(max_retries=retries)
    provider = SailPointProvider(
        settings(api_version=version, http=http), respx_factory(FakeTime())
    )
    return asyncio.run(provider.collect())


# -- configuration ------------------------------------------------------------------------------


def test_class_contract() -> None:
    assert SailPointProvider.name == "sailpoint"
    caps = SailPointProvider.capabilities
    assert (caps.network_restriction, caps.expiry, caps.last_used) == (False, True, True)
    assert caps.last_used_granularity_seconds == 86400
    assert SailPointProvider.default_rate_limit == RateLimit(95, 10.0)
    assert SailPointProvider.supported_api_versions == (
        "v3",
        "beta",
        "v2024",
        "v2025",
        "v2026",
        "v1",
    )


@pytest.mark.parametrize(
    ("kwargs", "key", "message", "fix"),
    [
        (
            {"base_url": "https://acme.identitynow.com"},
            "base_url",
            "base_url 'https://acme.identitynow.com' is the user-interface host, not the API host",
            "use https://acme.api.identitynow.com",
        ),
        (
            {"base_url": "https://acme.identitynow-demo.com/"},
            "base_url",
            "base_url 'https://acme.identitynow-demo.com/' is the user-interface host, "
            "not the API host",
            "use https://acme.api.identitynow-demo.com",
        ),
        (
            {"base_url": "https://acme.login.sailpoint.com"},
            "base_url",
            "base_url 'https://acme.login.sailpoint.com' is the login (OAuth authorize) host, "
            "not the API host",
            "use https://acme.api.identitynow.com",
        ),
        (
            {"base_url": "https://acme.api.identitynow.com/v3"},
            "base_url",
            "base_url 'https://acme.api.identitynow.com/v3' has a path; "
            "it must be the API host only",
            "use https://acme.api.identitynow.com and set api_version for the version",
        ),
        (
            {"base_url": "http://acme.api.identitynow.com"},
            "base_url",
            "base_url must use https (http only for loopback hosts)",
            "use https://acme.api.identitynow.com",
        ),
        (
            {"base_url": ""},
            "base_url",
            "SailPoint needs base_url",
            "use the API host https://<tenant>.api.identitynow.com (no path)",
        ),
        (
            {"api_version": "v4"},
            "api_version",
            "api_version 'v4' is not supported",
            "use one of v3, beta, v2024, v2025, v2026, v1 (v1 = /personal-access-tokens/v1)",
        ),
        (
            {"client_id": "ab" * 32},
            "client_id",
            "the client id has the shape of a PAT secret (64 hex characters), not of its id",
            "put the PAT's client id here and its secret in the secret variable",
        ),
        (
            {"client_id": " "},
            "client_id",
            "the client id is empty or contains whitespace",
            "set it to the personal access token's client id (32 hexadecimal characters)",
        ),
        ({"secret": ""}, "client_secret_env", "the client secret is empty", None),
        (
            {"client_id": "abc", "secret": "abc"},
            "client_secret_env",
            "the client secret equals the client id",
            "set it to the PAT's secret, shown once when the PAT was created",
        ),
    ],
)
def test_validate_rejects(kwargs: dict[str, str], key: str, message: str, fix: str | None) -> None:
    with pytest.raises(ConfigError) as info:
        SailPointProvider.validate(settings(**kwargs))  # type: ignore[arg-type]
    assert (info.value.key, info.value.message, info.value.fix) == (key, message, fix)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://acme.api.identitynow.com",
        "https://acme.api.identitynow-demo.com/",
        "https://isc.sovereign.example.gov",
        "http://127.0.0.1:8080",
        "http://localhost:9",
        "http://[::1]:80",
    ],
)
def test_validate_accepts_api_demo_sovereign_and_loopback_hosts(base_url: str) -> None:
    for version in (None, *SailPointProvider.supported_api_versions):
        SailPointProvider.validate(settings(base_url=base_url, api_version=version))
    assert SailPointProvider.base_url_for(settings(base_url=base_url)) == base_url.rstrip("/")


# -- listing and versions -----------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "v3", "beta", "v2024", "v2025", "v2026", "v1"])
def test_each_version_uses_its_path_and_every_shape_maps(version: str | None) -> None:
    records = [
        pat(
            1,
            accessTokenValiditySeconds=3600,
            managed=True,
            expirationDate="2027-01-01T00:00:00Z",
            userAwareTokenNeverExpires=False,
        ),
        pat(2, scope=None, expirationDate=None, userAwareTokenNeverExpires=True, lastUsed=None),
        pat(3),  # an old record: no managed, TTL, expirationDate
    ]
    path = VERSIONS[version or "v3"].pat_path
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        listing = mock.get(path).respond(200, json=records)
        inventory = collect(mock, version=version, identities=[identity("o1")])
    assert listing.calls.last.request.url.params.multi_items() == []  # whole tenant: no owner-id
    one, two, three = inventory.credentials
    assert {c.owner.roles for c in inventory.credentials} == {()}  # user levels are opt-in
    assert (one.managed, one.access_token_ttl_seconds) == (True, 3600)
    assert one.expires_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert (two.scope_mode, two.expires_at, two.last_used_at) == ("full", None, None)
    assert (three.managed, three.access_token_ttl_seconds, three.expires_at) == (False, None, None)
    assert all(
        c.owner.status == "active" and c.owner.email == "o1@x.example"
        for c in inventory.credentials
    )
    coverage = inventory.coverage
    assert coverage.status == "complete"
    # caveats (a fact left unverified) before information, each in the order reported
    assert coverage.notes == (
        "owner user levels were not read (user_levels is off, the default), so privileged-access "
        "is manual for 1 full-scope PATs of known owners; user_levels: true reads them: one GET "
        "/v3/auth-users/{id} per owner (1 here), scope sp:auth-user:read",
        f"api version {version or 'v3'} ({path})",
        "platform-managed PATs (created by Workflows) are covered: the list included 1, which "
        "SailPoint returns only to a caller holding idn:managed-personal-access-tokens:read",
        "SailPoint refreshes lastUsed at most once a day: idle times are accurate to a day",
    )
    assert [(n.kind, n.severity) for n in coverage.note_details] == [
        ("user-levels-off", "caveat"),
        ("api-version", "info"),
        ("managed-pats-seen", "info"),
        ("last-used-precision", "info"),
    ]
    assert (coverage.requests, coverage.retries, coverage.credential_count) == (3, 0, 3)


def test_no_managed_pat_listed_is_not_claimed_as_covered() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(200, json=[pat(1), pat(2)])
        inventory = collect(mock, identities=[identity("o1")])
    notes = [n for n in inventory.coverage.notes if "managed" in n]
    assert notes == [
        "platform-managed PATs (created by Workflows) may be missing: none were listed, and "
        "SailPoint lists them only to a caller holding idn:managed-personal-access-tokens:read, "
        "which this scan cannot confirm; if the tenant runs Workflows, give the auditing PAT's "
        "owner that right"
    ]


def test_403_falls_back_to_own_tokens_and_marks_partial() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/v3/personal-access-tokens")
        route.side_effect = lambda request: (
            httpx.Response(200, json=[pat(9)])
            if request.url.params.get("owner-id") == "me"
            else httpx.Response(403, json=FORBIDDEN)
        )
        inventory = collect(mock, identities=[identity("o1")])
    assert [c.id for c in inventory.credentials] == [f"{9:032x}"]
    assert inventory.coverage.status == "partial"
    assert inventory.coverage.notes[0] == (
        "Listing the whole tenant was refused (HTTP 403: 403 Forbidden: The server understood the "
        "request but refuses to authorize it.); only the auditing credential's own PATs "
        "(owner-id=me) were collected; give the PAT's owner the right "
        "idn:all-personal-access-tokens:read and the PAT the scope "
        "sp:all-personal-access-tokens:read (or sp:scopes:all); request id "
        "b21b1f7ce4da4d639f2c62a57171b427"
    )
    # the 403 is the one cause; the routine notes (api version, lastUsed precision) are not
    assert inventory.coverage.reasons() == (inventory.coverage.notes[0],)


def test_when_even_own_tokens_are_refused_the_tenant_fails() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(403, json=FORBIDDEN)
        with pytest.raises(PermissionDeniedError) as info:
            collect(mock)
    assert info.value.vendor_message == DENIED_TEXT


def test_404_on_the_list_hints_at_host_and_version() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v2026/personal-access-tokens").respond(
            404, json={"detailCode": "404 Not found", "messages": [{"text": "No such path."}]}
        )
        with pytest.raises(NotFoundError) as info:
            collect(mock, version="v2026")
    assert str(info.value) == (
        "acme-isc: GET /v2026/personal-access-tokens returned HTTP 404: 404 Not found: No such "
        "path. (is base_url the API host, and does this tenant serve api_version v2026? v3 is "
        "available on every tenant until Q1 2029)"
    )


def test_429_message_surfaces_after_retries() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(
            429, json={"message": " Rate Limit Exceeded "}, headers={"Retry-After": "2"}
        )
        with pytest.raises(RateLimitedError) as info:
            collect(mock, retries=2)
    assert info.value.vendor_message == "Rate Limit Exceeded"
    assert str(info.value) == (
        "acme-isc: GET /v3/personal-access-tokens returned HTTP 429: Rate Limit Exceeded "
        "(after 3 attempts)"
    )


@pytest.mark.parametrize("body", [{"items": []}, "text", 5])
def test_a_list_that_is_not_an_array_fails_the_tenant(body: object) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(200, json=body)
        with pytest.raises(ResponseFormatError, match="not a JSON array"):
            collect(mock)


def test_malformed_and_duplicate_records_are_per_record_errors() -> None:
    records = [pat(1), {**pat(2), "created": "soon"}, "junk", pat(1), pat(4, owner="o2")]
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(200, json=records)
        inventory = collect(mock, identities=[identity("o1"), identity("o2")])
    assert [c.id for c in inventory.credentials] == [f"{1:032x}", f"{4:032x}"]
    errors = [(e.index, e.record_id, e.message) for e in inventory.coverage.record_errors]
    assert errors == [
        (1, f"{2:032x}", "created: 'soon' is not an RFC 3339 timestamp"),
        (2, None, "the list item is a str, not an object"),
        (3, f"{1:032x}", "duplicate PAT id in the list; the first occurrence was kept"),
    ]
    assert inventory.coverage.status == "partial"  # two PATs could not be evaluated


# -- owners ---------------------------------------------------------------------------------------


# (identityState, lifecycle status) -> owner status, note. The lifecycle state decides wherever
# identityState stays ACTIVE (v3 PublicIdentity; LifecycleState.identityState "generally null").
DISAGREE = "although identityState is ACTIVE"
OWNER_STATES = [
    ("ACTIVE", "Active", "active", ()),
    ("ACTIVE", "ACTIVE ", "active", ()),  # case-insensitive, trimmed
    (None, "Active", "active", ()),
    ("ACTIVE", None, "active", ()),  # no lifecycle state: identityState alone
    ("INACTIVE_SHORT_TERM", "Active", "disabled", ("identityState INACTIVE_SHORT_TERM",)),
    ("INACTIVE_LONG_TERM", None, "disabled", ("identityState INACTIVE_LONG_TERM",)),
    # once a false pass: terminated, yet identityState ACTIVE
    ("ACTIVE", "Terminated", "disabled", (f"lifecycle state 'Terminated' {DISAGREE}",)),
    ("ACTIVE", "inactive", "disabled", (f"lifecycle state 'inactive' {DISAGREE}",)),
    (None, "Disabled", "disabled", ("lifecycle state 'Disabled'",)),
    ("ACTIVE", "Leaver", "unknown", (
        "lifecycle state 'Leaver' is in neither lifecycle_states.active nor "
        "lifecycle_states.inactive, so whether the owner is still active is unknown",
    )),
    (None, None, "unknown", (
        "SailPoint returned no identityState and no lifecycle state for the owner",
    )),
    ("SUSPENDED", "Active", "unknown", (
        "lifecycle state 'Active' is active but identityState is 'SUSPENDED', which the API "
        "does not document",
    )),
    ("ACTIVE", 7, "unknown", ("the owner's lifecycle state '7' is not text",)),
]  # fmt: skip


@pytest.mark.parametrize(("state", "lifecycle", "status", "notes"), OWNER_STATES)
def test_owner_status_from_identity_state_and_lifecycle_state(
    state: str | None, lifecycle: object, status: str, notes: tuple[str, ...]
) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(200, json=[pat(1, owner="o")])
        inventory = collect(mock, identities=[identity("o", state, status=lifecycle)])
    (credential,) = inventory.credentials
    assert (credential.owner.status, credential.notes) == (status, notes)


def test_unrecognised_lifecycle_states_are_named_once_in_coverage() -> None:
    owners = {"a": "Leaver", "b": "Leaver", "c": "Prehire", "d": "Active"}
    records = [pat(i, owner=o) for i, o in enumerate(owners)]
    found = [identity(o, "ACTIVE", status=life) for o, life in owners.items()]
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(200, json=records)
        inventory = collect(mock, identities=found)
    notes = [n for n in inventory.coverage.notes if "lifecycle" in n]
    assert notes == [
        "owner lifecycle state(s) 'Leaver' (2 owners), 'Prehire' (1 owner) are in neither "
        "lifecycle_states.active nor lifecycle_states.inactive: those owners' status is unknown, "
        "so inactive-owner is manual for their PATs; list each state under the tenant's "
        "lifecycle_states"
    ]
    assert [c.owner.status for c in inventory.credentials] == [
        "unknown", "unknown", "unknown", "active"
    ]  # fmt: skip


def test_configured_lifecycle_states_replace_the_defaults() -> None:
    owners = {"a": "Leaver", "b": "Prehire", "c": "Active", "d": "Terminated"}
    records = [pat(i, owner=o) for i, o in enumerate(owners)]
    found = [identity(o, "ACTIVE", status=life) for o, life in owners.items()]
    with respx.mock(base_url=BASE) as mock:
        mock.post("/oauth/token").respond(200, json={"access_token": "t", "expires_in": 749})
        mock.get("/v3/public-identities").respond(200, json=found)
        mock.get("/v3/personal-access-tokens").respond(200, json=records)
        provider = SailPointProvider(
            settings(
                active_lifecycle_states=("active", "prehire"),
                inactive_lifecycle_states=("leaver",),
            ),
            respx_factory(FakeTime()),
        )
        inventory = asyncio.run(provider.collect())
    # Terminated is no longer in the inactive list: unknown, never active
    assert [c.owner.status for c in inventory.credentials] == [
        "disabled", "active", "active", "unknown"
    ]  # fmt: skip


def test_owner_lookup_is_batched_by_id_in_filters() -> None:
    owners = [f"{i:032x}" for i in range(250)]
    records = [pat(i, owner=o) for i, o in enumerate(owners)] + [pat(999, owner=owners[0])]
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(200, json=records)
        lookups = mock.get("/v3/public-identities")
        lookups.side_effect = lambda request: httpx.Response(
            200, json=[identity(o) for o in owners if f'"{o}"' in request.url.params["filters"]]
        )
        inventory = collect(mock)
    sent = sorted(
        (
            c.request.url.params["filters"],
            c.request.url.params["limit"],
            c.request.url.params["offset"],
        )
        for c in lookups.calls
    )
    assert sent == sorted(
        [
            (id_filter(owners[0:100]), "250", "0"),
            (id_filter(owners[100:200]), "250", "0"),
            (id_filter(owners[200:250]), "250", "0"),
        ]
    )
    assert id_filter(owners[:2]) == f'id in ("{owners[0]}","{owners[1]}")'
    assert all(c.owner.status == "active" for c in inventory.credentials)
    assert max(len(str(c.request.url)) for c in lookups.calls) < 4500


def test_batches_respect_the_encoded_length_and_escape_quotes() -> None:
    long_ids = ["x" * 400 for _ in range(30)]
    split = batches(long_ids)
    assert [len(b) for b in split] == [10, 10, 10]
    assert id_filter(['a"b']) == 'id in ("a\\"b")'


def test_a_full_page_is_followed_by_the_next_offset() -> None:
    owners = [f"o{i}" for i in range(3)]
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(
            200, json=[pat(i, owner=o) for i, o in enumerate(owners)]
        )
        lookups = mock.get("/v3/public-identities").mock(
            side_effect=[
                httpx.Response(200, json=[identity("o0")] + [identity("zz")] * 249),
                httpx.Response(200, json=[identity("o1")]),
            ]
        )
        inventory = collect(mock)
    assert [c.request.url.params["offset"] for c in lookups.calls] == ["0", "250"]
    assert [c.owner.status for c in inventory.credentials] == ["active", "active", "not_found"]


def test_refused_identity_lookup_leaves_owners_unknown_with_a_note() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(200, json=[pat(1), pat(2, owner="o2")])
        lookups = mock.get("/v3/public-identities").respond(403, json=FORBIDDEN)
        inventory = collect(mock)
    assert lookups.call_count == 1
    assert [c.owner.status for c in inventory.credentials] == ["unknown", "unknown"]
    why = (
        "the owner lookup was refused (HTTP 403: 403 Forbidden: The server understood the request "
        "but refuses to authorize it.)"
    )
    assert inventory.credentials[0].notes == (why,)
    assert inventory.credentials[0].owner.status_reason == why  # inactive-owner's row says it
    assert inventory.coverage.status == "complete"
    (note,) = [n for n in inventory.coverage.note_details if n.kind == "owner-lookup-refused"]
    assert (note.severity, note.count, note.unit) == ("caveat", 2, "owner")
    assert note.text == (
        "owner status unverified: /v3/public-identities was refused (HTTP 403: 403 Forbidden: The "
        "server understood the request but refuses to authorize it.) for 2 owners; the auditing "
        "PAT's owner needs user level USER and the PAT the scope sp:scopes:default or "
        "sp:scopes:all; request id b21b1f7ce4da4d639f2c62a57171b427"
    )
    assert note.text in inventory.coverage.notes


def test_a_failed_batch_leaves_only_its_owners_unknown() -> None:
    owners = [f"{i:032x}" for i in range(150)]
    error = {
        "detailCode": "500.0 Internal Fault",
        "messages": [{"text": "An internal fault occurred."}],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if f'"{owners[0]}"' in request.url.params["filters"]:
            return httpx.Response(500, json=error)
        return httpx.Response(200, json=[identity(o) for o in owners[100:]])

    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(
            200, json=[pat(i, owner=o) for i, o in enumerate(owners)]
        )
        mock.get("/v3/public-identities").mock(side_effect=answer)
        inventory = collect(mock)
    statuses = [c.owner.status for c in inventory.credentials]
    assert statuses == ["unknown"] * 100 + ["active"] * 50
    assert inventory.coverage.notes[0] == (
        "owner status unverified after failed identity lookups: 100 owners: HTTP 500: "
        "500.0 Internal Fault: An internal fault occurred."
    )
    assert inventory.coverage.note_details[0].severity == "caveat"


def test_no_secret_in_any_request_but_the_token_form() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(200, json=[pat(1)])
        collect(mock, identities=[identity("o1")])
        for call in mock.calls:
            if call.request.url.path != "/oauth/token":
                assert SECRET not in str(call.request.url) + json.dumps(dict(call.request.headers))


# -- a list of exactly k x 250 records may have been cut at the default page size ------------


def _params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


@pytest.mark.parametrize(
    ("second", "expected_ids", "note"),
    [
        ([], 250, "asked for more at offset 250 and got none: the list is whole"),
        ("same", 250, "asked for more at offset 250 and got none: the list is whole"),
        ("more", 320, "the server paged the PAT list at 250; every page was collected (320"),
    ],
    ids=["nothing-more", "server-ignores-offset", "server-pages"],
)
def test_a_list_of_exactly_250_is_probed_for_more(
    second: Any, expected_ids: int, note: str
) -> None:
    first = [pat(i) for i in range(250)]
    rest = [pat(i) for i in range(250, 320)]

    def handler(request: httpx.Request) -> httpx.Response:
        params = _params(request)
        if "offset" not in params:
            return httpx.Response(200, json=first)
        assert params == {"limit": "250", "offset": "250"}
        if second == "same":
            return httpx.Response(200, json=first)  # unknown parameters ignored: the full list
        return httpx.Response(200, json=rest if second == "more" else second)

    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/v3/personal-access-tokens").mock(side_effect=handler)
        inventory = collect(mock, identities=[identity("o1")])
    assert route.call_count == 2
    assert len(inventory.credentials) == expected_ids
    assert len({c.id for c in inventory.credentials}) == expected_ids
    assert inventory.coverage.status == "complete"
    assert any(n.startswith(note) or note in n for n in inventory.coverage.notes)


def test_a_short_list_is_not_probed() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.get("/v3/personal-access-tokens").respond(
            200, json=[pat(i) for i in range(249)]
        )
        collect(mock, identities=[identity("o1")])
    assert route.call_count == 1


SP_TENANT = """
tenants:
  - name: isc
    provider: {provider}
    base_url: https://acme.api.identitynow.com
    client_id: {client_id}
    client_secret_env: S
    lifecycle_states: {states}
"""
SP_ID = "0123456789abcdef0123456789abcdef"


def _settings_from(tmp_path: Path, states: str, provider: str = "sailpoint") -> TenantSettings:
    path = tmp_path / "c.yaml"
    client_id, secret = SP_ID, "a-secret-value"
    if provider == "conductorone":
        client_id, secret = make_c1_sim().mint_client()
    path.write_text(SP_TENANT.format(provider=provider, client_id=client_id, states=states))
    registry: dict[str, type[Provider]] = {
        "sailpoint": SailPointProvider,
        "conductorone": ConductorOneProvider,
    }
    (tenant,) = tenant_settings(load_config(path, env={"S": secret}), registry)
    return tenant


def test_lifecycle_states_reach_the_adapter(tmp_path: Path) -> None:
    tenant = _settings_from(tmp_path, "{inactive: [Leaver, ' Retired ']}")
    assert isinstance(tenant.options, SailPointOptions)
    states = tenant.options.lifecycle_states
    assert states is not None
    assert states.active is None  # the default
    assert states.inactive == ("Leaver", "Retired")


@pytest.mark.parametrize(
    ("states", "provider", "message"),
    [
        ("{active: [Active], inactive: [ACTIVE]}", "sailpoint", "active listed as both"),
        ("{inactive: ['  ']}", "sailpoint", "every lifecycle state must be a non-empty string"),
        ("{retired: [x]}", "sailpoint", "retired"),
        ("{inactive: [Leaver]}", "conductorone", "lifecycle_states applies to sailpoint"),
    ],
)
def test_lifecycle_states_errors_name_the_key(
    tmp_path: Path, states: str, provider: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _settings_from(tmp_path, states, provider)
    text = str(info.value)
    assert "tenants[0].lifecycle_states" in text and message in text, text


def test_an_owner_id_no_url_can_carry_costs_only_its_own_owner_lookup() -> None:
    """Issue 22: a 70 kB owner id made the lookup URL invalid and failed the whole tenant."""
    huge = "f" * 70_000
    owners = ["o1", "o2", "o3", "o4", huge]
    with respx.mock(base_url=BASE) as mock:
        mock.get("/v3/personal-access-tokens").respond(
            200, json=[pat(i, owner=o) for i, o in enumerate(owners)]
        )
        lookups = mock.get("/v3/public-identities")
        lookups.side_effect = lambda request: httpx.Response(
            200, json=[identity(o) for o in owners[:4] if f'"{o}"' in request.url.params["filters"]]
        )
        inventory = collect(mock)
    assert inventory.coverage.status == "complete"
    assert [c.owner.status for c in inventory.credentials] == ["active"] * 4 + ["unknown"]
    assert all(len(str(c.request.url)) < 4500 for c in lookups.calls)
    assert "too long" in inventory.credentials[4].notes[0]
    assert any("1 owner id(s)" in n and "not looked up" in n for n in inventory.coverage.notes)
