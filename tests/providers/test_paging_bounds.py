"""Issue 15: paging loops end whatever the vendor's pages say; a stop leaves the tenant
``partial`` with the reason, never failed, since the records read are valid."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from auditor.kernel.errors import PaginationError
from auditor.kernel.http import HttpSettings
from auditor.kernel.paging import PageGuard
from providers.sailpoint import SailPointProvider
from tests.fakes import FakeTime
from tests.providers.conductorone import test_adapter as c1
from tests.providers.conductorone.conftest import FakeTime as C1Time
from tests.providers.sailpoint import test_adapter as sp
from tests.providers.sailpoint.conftest import BASE as SP_BASE
from tests.providers.sailpoint.conftest import respx_factory
from tests.providers.sailpoint.conftest import settings as sp_settings


def test_the_guard_stops_after_empty_pages_that_still_announce_more() -> None:
    guard = PageGuard("list", max_pages=100, tenant="t", max_empty_pages=3)
    guard.next_page("a", items=0)
    guard.next_page("b", items=0)
    guard.next_page("c", items=5)  # a page with records: the count starts again
    guard.next_page("d", items=0)
    guard.next_page("e", items=0)
    with pytest.raises(PaginationError, match="3 empty pages in a row"):
        guard.next_page("f", items=0)


# -- ConductorOne: tokens that never end ------------------------------------------------------


def _endless(empty: bool) -> Any:
    served = {"pages": 0}

    def serve(request: httpx.Request) -> httpx.Response:
        served["pages"] += 1
        n = served["pages"]
        assert n < 1000, "the adapter never stopped paging"
        items = [] if empty and n > 1 else [c1.pc(f"c{n}")]
        return httpx.Response(200, json={"list": items, "nextPageToken": f"t{n}"})

    return serve, served


@pytest.mark.parametrize(
    ("empty", "pages", "reason"),
    [(False, 5, "more than 5 pages"), (True, 4, "3 empty pages in a row")],
    ids=["a-new-token-each-page", "empty-pages-with-a-token"],
)
def test_c1_search_that_never_ends_makes_the_tenant_partial(
    empty: bool, pages: int, reason: str
) -> None:
    serve, served = _endless(empty)
    with respx.mock(base_url=c1.BASE, assert_all_called=False) as mock:
        c1.mock_tenant(mock, serve)
        inv = c1.collect(C1Time(), HttpSettings(max_pages=5, max_empty_pages=3))
    assert served["pages"] == pages
    assert inv.coverage.status == "partial"
    assert any("paging stopped" in n and reason in n for n in inv.coverage.notes)
    assert len(inv.credentials) == (1 if empty else 5)


# -- SailPoint: a list of exactly 250 at every offset --------------------------------------------


def _sp_collect(handler: Any, max_pages: int = 10_000) -> tuple[Any, int]:
    with respx.mock(base_url=SP_BASE) as mock:
        mock.post("/oauth/token").respond(200, json={"access_token": "t", "expires_in": 749})
        mock.get("/v3/public-identities").respond(200, json=[sp.identity("o1")])
        route = mock.get("/v3/personal-access-tokens").mock(side_effect=handler)
        http = HttpSettings(max_retries=0, max_pages=max_pages)
        provider = SailPointProvider(sp_settings(http=http), respx_factory(FakeTime()))
        inventory = asyncio.run(provider.collect())
    return inventory, route.call_count


def test_sp_probe_stops_when_every_offset_brings_fresh_ids_at_the_ceiling() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        assert offset < 250 * 1000, "the probe never stopped"
        return httpx.Response(200, json=[sp.pat(offset + i) for i in range(250)])

    inventory, calls = _sp_collect(handler, max_pages=4)
    assert calls == 4 and len(inventory.credentials) == 1000
    assert inventory.coverage.status == "partial"
    assert any("paging the PAT list stopped" in n for n in inventory.coverage.notes)


@pytest.mark.parametrize(
    "junk", [list(range(250)), [{"id": ["x"]}] * 250, [{"name": "no id"}] * 250]
)
def test_sp_probe_stops_when_a_full_page_brings_no_new_record(junk: list[Any]) -> None:
    first = [sp.pat(i) for i in range(250)]

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        assert offset < 250 * 1000, "the probe never stopped"
        return httpx.Response(200, content=json.dumps(first if offset == 0 else junk))

    inventory, calls = _sp_collect(handler)
    assert calls == 2
    assert inventory.coverage.status == "partial"  # the junk records are record errors
    assert any("records without a usable id" in n for n in inventory.coverage.notes)
    assert len(inventory.credentials) == 250


def test_the_guard_stops_past_the_record_ceiling() -> None:
    guard = PageGuard("list", max_pages=100, tenant="t", max_records=10)
    guard.next_page("a", records=10)
    with pytest.raises(PaginationError, match="more than 10 records"):
        guard.next_page("b", records=11)


def test_sp_probe_stops_at_the_record_ceiling_with_fresh_ids_at_every_offset() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        assert offset < 250 * 1000, "the probe never stopped"
        return httpx.Response(200, json=[sp.pat(offset + i) for i in range(250)])

    with respx.mock(base_url=SP_BASE) as mock:
        mock.post("/oauth/token").respond(200, json={"access_token": "t", "expires_in": 749})
        mock.get("/v3/public-identities").respond(200, json=[sp.identity("o1")])
        route = mock.get("/v3/personal-access-tokens").mock(side_effect=handler)
        http = HttpSettings(max_retries=0, max_records=1000)  # max_pages left at 10,000
        provider = SailPointProvider(sp_settings(http=http), respx_factory(FakeTime()))
        inventory = asyncio.run(provider.collect())
    assert route.call_count == 5 and len(inventory.credentials) == 1250
    assert inventory.coverage.status == "partial"
    assert any("more than 1000 records" in n for n in inventory.coverage.notes)


def test_the_default_record_bound_admits_the_largest_tenant_we_support() -> None:
    """The bound stops a hostile endless listing, not a real tenant: the scale target is
    200,000 credentials (README "Performance"), and at the old default of 50,000 a 100,000-
    credential tenant came back partial."""
    from auditor.app.configmodel import HttpConfig

    assert HttpSettings().max_records == HttpConfig().max_records == 250_000
