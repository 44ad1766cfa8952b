from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import httpx
import pytest
from rich.console import Console

from auditor.app.engine import NullProgress, collect_tenant
from auditor.app.progress import LOG_EVERY, LiveProgress, LogProgress, describe_phase, make_progress
from auditor.kernel.http import HttpSettings, RateLimit
from auditor.kernel.model import TenantCoverage
from auditor.kernel.phases import PhaseUpdate
from providers.base import ClientFactory
from providers.conductorone import ConductorOneProvider, ConductorOneSimulator
from providers.sailpoint import SailPointProvider
from tests.fakes import FakeTime
from tests.providers.conductorone.conftest import ANCHOR as C1_ANCHOR
from tests.providers.conductorone.conftest import FakeTime as C1FakeTime
from tests.providers.conductorone.conftest import settings_for as c1_settings
from tests.providers.sailpoint.conftest import make_sim as make_sp_sim
from tests.providers.sailpoint.conftest import settings as sp_settings
from tests.providers.sailpoint.conftest import sim_factory as sp_sim_factory


def test_plain_lines_when_not_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    progress = make_progress(quiet=False)  # pytest's stderr is not a terminal
    assert isinstance(progress, LogProgress)
    assert isinstance(make_progress(quiet=True), NullProgress)
    with caplog.at_level(logging.INFO, logger="credaudit.scan"):
        progress.tenant_started("acme", "sailpoint")
        progress.tenant_finished(
            TenantCoverage(
                tenant="acme",
                provider="sailpoint",
                status="failed",
                credential_count=0,
                requests=3,
                retries=2,
                error="GET /v3/personal-access-tokens returned HTTP 403",
            )
        )
    assert caplog.messages[0] == "acme: collecting (sailpoint)"
    assert caplog.messages[1] == (
        "acme: failed; 3 requests in all, 2 of them retries, 0.0s: "
        "GET /v3/personal-access-tokens returned HTTP 403"
    )
    assert caplog.records[1].levelno == logging.ERROR


def test_live_table_tracks_each_tenant() -> None:
    buffer = io.StringIO()
    progress = LiveProgress(console=Console(file=buffer, force_terminal=True, width=120))
    progress.tenant_started("a", "conductorone")
    progress.tenant_update("a", 250, 11, 1)
    assert (progress.rows["a"].collected, progress.rows["a"].requests) == (250, 11)
    progress.tenant_finished(
        TenantCoverage(tenant="a", provider="conductorone", status="complete", credential_count=300)
    )
    assert progress.live is None  # stopped once every tenant finished
    assert "300" in buffer.getvalue()


# -- phases (issue 16): counter, rate, ETA, and the rate limit a phase waits on -----------------


def _update(done: int, total: int | None, **kw: Any) -> PhaseUpdate:
    values: dict[str, Any] = {"started": 100.0, "now": 110.0, **kw}
    return PhaseUpdate("user levels", done, total, "owners", **values)


@pytest.mark.parametrize(
    ("update", "text"),
    [
        (_update(0, 7400, now=100.0), "user levels 0/7,400 owners"),
        (_update(95, 7400), "user levels 95/7,400 owners, 9.5/s, ETA 12:49"),
        (
            _update(95, 7400, paced=RateLimit(95, 10.0)),
            "user levels 95/7,400 owners, 9.5/s, ETA 12:49, waiting on the vendor's rate "
            "limit (95 requests per 10 s)",
        ),
        (
            PhaseUpdate("search pages", 40, None, "pages", started=0.0, now=2.0),
            "search pages 40 pages, 20.0/s, ETA unknown (the API does not say how many)",
        ),
        (
            _update(7400, 7400, now=4000.0, finished=True),
            "user levels 7,400/7,400 owners in 1:05:00",
        ),
        (
            _update(7400, 7400, paced=RateLimit(95, 10.0), finished=True),
            "user levels 7,400/7,400 owners in 0:10",
        ),
    ],
)
def test_each_phase_line_says_counter_rate_eta_and_what_it_waits_on(
    update: PhaseUpdate, text: str
) -> None:
    assert describe_phase(update) == text


def test_log_lines_at_start_every_interval_and_end(caplog: pytest.LogCaptureFixture) -> None:
    progress = LogProgress()
    with caplog.at_level(logging.INFO, logger="credaudit.scan"):
        for second in range(0, 25):  # one update a second
            progress.phase_update("isc", _update(second, 25, now=100.0 + second))
        progress.phase_update("isc", _update(25, 25, now=125.0, finished=True))
    assert [m.split(" owners")[0] for m in caplog.messages] == [
        "isc: user levels 0/25",
        f"isc: user levels {int(LOG_EVERY)}/25",
        f"isc: user levels {int(2 * LOG_EVERY)}/25",
        "isc: user levels 25/25",
    ]


class _Recorder(NullProgress):
    def __init__(self) -> None:
        self.updates: list[tuple[str, PhaseUpdate]] = []

    def phase_update(self, tenant: str, update: PhaseUpdate) -> None:
        self.updates.append((tenant, update))


def test_a_rate_limited_sailpoint_tenant_reports_its_phases_and_the_limit() -> None:
    fake = FakeTime()
    sim = make_sp_sim(fake, size=300)
    limit = RateLimit(5, 10.0)  # binds at once: owners and levels wait on it
    client_id, secret = sim.mint_client("admin")
    tenant = sp_settings(client_id, secret, user_levels=True, http=HttpSettings(rate_limit=limit))
    recorder = _Recorder()
    inventory = asyncio.run(
        collect_tenant(
            tenant, {"sailpoint": SailPointProvider}, sp_sim_factory(sim, fake), recorder
        )
    )
    assert inventory.coverage.status == "complete", inventory.coverage.error
    phases = [u for _, u in recorder.updates]
    names = list(dict.fromkeys(u.phase for u in phases))
    assert names == ["owner lookups", "user levels"]
    levels = [u for u in phases if u.phase == "user levels"]
    assert levels[0].done == 0 and levels[0].total is not None and levels[0].total > 5
    assert levels[-1].finished and levels[-1].done == levels[-1].total
    assert any(u.paced == limit for u in levels)  # waiting on the vendor's limit, and said so
    assert all(u.paced is None for u in phases if u.finished)
    assert {t for t, _ in recorder.updates} == {tenant.name}


def test_conductorone_reports_search_pages_and_owner_lookups() -> None:
    fake = C1FakeTime()
    sim = ConductorOneSimulator(size=120, anchor=C1_ANCHOR, sleep=fake.sleep)  # real clock:
    # the provider signs its assertion with the wall clock
    client_id, secret = sim.mint_client("admin")
    factory = ClientFactory(
        transport=httpx.ASGITransport(app=sim.app), sleep=fake.sleep, clock=fake.clock
    )
    recorder = _Recorder()
    tenant = c1_settings(client_id, secret)
    asyncio.run(collect_tenant(tenant, {"conductorone": ConductorOneProvider}, factory, recorder))
    phases = [u for _, u in recorder.updates]
    pages = [u for u in phases if u.phase == "search pages"]
    assert [u.done for u in pages if not u.finished] == list(range(len(pages) - 1))
    assert pages[-1].finished and pages[-1].done == 5  # 120 personal clients / 25 a page
    owners = [u for u in phases if u.phase == "owner lookups"]
    assert owners[-1].finished and owners[-1].done == owners[-1].total
