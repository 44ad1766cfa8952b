from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import SecretStr

from auditor.app.config import load_config
from auditor.app.engine import ScanPlan, run_scan, tenant_settings
from auditor.kernel.errors import ConfigError
from auditor.kernel.http import RateLimit
from auditor.kernel.model import (
    Capabilities,
    Credential,
    Evaluation,
    TenantCoverage,
    TenantInventory,
)
from auditor.kernel.withhold import WITHHELD_NOTE
from providers.base import ClientFactory, Provider, TenantSettings
from providers.sailpoint.options import SailPointOptions
from tests.fakes import count_compactions

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)
CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)


class GoodProvider(Provider):
    name = "conductorone"
    capabilities = CAPS

    @classmethod
    def base_url_for(cls, settings: TenantSettings) -> str:
        return "https://good.example"

    async def collect(self) -> TenantInventory:
        creds = tuple(
            Credential(
                provider="conductorone", tenant=self.settings.name, id=f"c{i}", capabilities=CAPS
            )
            for i in range(3)
        )
        self.on_progress(len(creds))
        return TenantInventory(
            coverage=TenantCoverage(
                tenant=self.settings.name, provider="conductorone", status="complete"
            ),
            credentials=creds,
        )


class DeniedProvider(Provider):
    """Makes one real request through the factory's client, then fails like a 403 would."""

    name = "sailpoint"
    capabilities = CAPS
    default_rate_limit: ClassVar[RateLimit | None] = RateLimit(95, 10.0)

    @classmethod
    def validate(cls, settings: TenantSettings) -> None:
        if settings.base_url and "ui" in settings.base_url:
            raise ConfigError("that is the UI host", key="base_url", fix="use the API host")

    async def collect(self) -> TenantInventory:
        client = self.clients.client(
            tenant=self.settings.name,
            base_url="https://denied.example",
            settings=self.settings.http,
        )
        await client.get_json("/list")
        raise AssertionError("unreachable")


class BuggyProvider(Provider):
    name = "conductorone"
    capabilities = CAPS

    async def collect(self) -> TenantInventory:
        # the worst case: a bug whose message quotes the secret it was handling
        raise ValueError(f"cannot decode {self.settings.client_secret.get_secret_value()}")


def settings(name: str, provider: str) -> TenantSettings:
    return TenantSettings(
        name=name,
        provider=provider,
        client_id="id",
        client_secret=SecretStr("hunter2"),
        base_url="https://x.example",
    )


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(403, json={"messages": [{"text": "nope"}]})
    )


def test_one_failing_tenant_does_not_stop_the_others() -> None:
    seen: list[Sequence[TenantInventory]] = []

    def evaluator(inventories: Sequence[TenantInventory], as_of: datetime) -> Evaluation:
        seen.append(inventories)
        return Evaluation()

    plan = ScanPlan(
        tenants=(settings("good", "conductorone"), settings("denied", "sailpoint")),
        evaluator=evaluator,
    )
    registry = {"conductorone": GoodProvider, "sailpoint": DeniedProvider}
    result = run_scan(
        plan, AS_OF, registry=registry, clients=ClientFactory(transport=transport()), scan_id="s1"
    )
    good, denied = result.coverage
    assert (good.status, good.credential_count, good.base_url) == (
        "complete",
        3,
        "https://good.example",
    )
    assert denied.status == "failed"
    assert denied.error is not None and "HTTP 403" in denied.error
    assert denied.requests == 1  # stats survive the failure
    assert result.scan.status == "incomplete"
    assert len(result.credentials) == 3
    assert len(seen) == 1 and len(seen[0]) == 2


def test_internal_error_is_contained_and_secret_free(caplog: pytest.LogCaptureFixture) -> None:
    plan = ScanPlan(
        tenants=(settings("buggy", "conductorone"),),
        evaluator=lambda inv, as_of: Evaluation(),
    )
    with caplog.at_level(logging.DEBUG, logger="credaudit"):
        result = run_scan(plan, AS_OF, registry={"conductorone": BuggyProvider})
    (cov,) = result.coverage
    assert cov.status == "failed"
    assert "Traceback" in caplog.text  # the debug detail is there ...
    assert "[redacted secret]" in caplog.text
    assert "hunter2" not in caplog.text  # ... without the secret
    assert (
        cov.error is not None
        and "internal error in the conductorone adapter (ValueError)" in cov.error
    )
    assert "hunter2" not in result.model_dump_json()


def test_naive_as_of_is_refused() -> None:
    plan = ScanPlan(tenants=(), evaluator=lambda inv, as_of: Evaluation())
    with pytest.raises(Exception, match="time zone"):
        run_scan(plan, datetime(2026, 1, 1), registry={})


def test_tenant_settings_apply_defaults_and_locate_provider_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        """
tenants:
  - name: a
    provider: sailpoint
    base_url: https://acme.api.identitynow.com
    client_id: id
    client_secret_env: S
  - name: b
    provider: sailpoint
    base_url: https://acme.ui.example
    client_id: id
    client_secret_env: S
    http: {rate_limit: {requests: 10, per_seconds: 1}}
"""
    )
    loaded = load_config(path, env={"S": "x"})
    registry = {"sailpoint": DeniedProvider}
    with pytest.raises(ConfigError, match=r"c\.yaml: tenants\[1\]\.base_url: that is the UI host"):
        tenant_settings(loaded, registry)
    path.write_text(path.read_text().replace("acme.ui.example", "other.api.identitynow.com"))
    a, b = tenant_settings(load_config(path, env={"S": "x"}), registry)
    assert a.http.rate_limit == RateLimit(95, 10.0)
    assert b.http.rate_limit == RateLimit(10, 1.0)
    assert a.client_secret.get_secret_value() == "x"


class UnreadableRecordProvider(GoodProvider):
    async def collect(self) -> TenantInventory:
        from auditor.kernel.model import RecordError

        inventory = await super().collect()
        coverage = inventory.coverage.model_copy(
            update={"record_errors": (RecordError(index=4, message="bad created"),)}
        )
        return TenantInventory(coverage=coverage, credentials=inventory.credentials)


def test_unreadable_records_make_a_tenant_partial_whatever_the_adapter_says() -> None:
    plan = ScanPlan(
        tenants=(settings("t", "conductorone"),), evaluator=lambda inv, as_of: Evaluation()
    )
    result = run_scan(plan, AS_OF, registry={"conductorone": UnreadableRecordProvider})
    (cov,) = result.coverage
    assert cov.status == "partial"
    assert "population is incomplete" in cov.notes[-1]
    assert result.scan.status == "partial"


ECHO_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


class EchoingTokenProvider(Provider):
    """Posts its secret to a token endpoint that echoes the form back in a 400 error body."""

    name = "sailpoint"
    capabilities = CAPS

    async def collect(self) -> TenantInventory:
        client = self.clients.client(
            tenant=self.settings.name, base_url="https://echo.example", settings=self.settings.http
        )
        await client.post_form(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "id",
                "client_secret": self.settings.client_secret.get_secret_value(),
            },
        )
        raise AssertionError("unreachable")


def test_a_vendor_echoing_the_secret_never_gets_it_into_results(
    caplog: pytest.LogCaptureFixture,
) -> None:
    echo = httpx.MockTransport(
        lambda request: httpx.Response(400, text=f"bad request: {request.content.decode()}")
    )
    tenant = TenantSettings(
        name="echo",
        provider="sailpoint",
        client_id="id",
        client_secret=SecretStr(ECHO_SECRET),
        base_url="https://echo.example",
    )
    plan = ScanPlan(tenants=(tenant,), evaluator=lambda inv, as_of: Evaluation())
    with caplog.at_level(logging.DEBUG):
        result = run_scan(
            plan,
            AS_OF,
            registry={"sailpoint": EchoingTokenProvider},
            clients=ClientFactory(transport=echo),
        )
    (cov,) = result.coverage
    assert cov.status == "failed"
    assert cov.error is not None and "HTTP 400" in cov.error
    assert ECHO_SECRET not in result.model_dump_json()
    assert ECHO_SECRET not in caplog.text


class ClippingProvider(Provider):
    """Reads a record whose field echoes the secret, then quotes the field cut short (as an
    adapter's record error does), cutting the withheld mark out of what it keeps."""

    name = "sailpoint"
    capabilities = CAPS

    async def collect(self) -> TenantInventory:
        client = self.clients.client(
            tenant=self.settings.name, base_url="https://echo.example", settings=self.settings.http
        )
        body = await client.get_json("/records")
        quoted = str(body["cidr"])[:24]  # "10.0.0.0/8 [withheld: ma"
        coverage = TenantCoverage(
            tenant=self.settings.name, provider=self.name, status="complete", notes=(quoted,)
        )
        return TenantInventory(coverage=coverage)


def test_text_withheld_at_source_is_noted_even_when_an_adapter_cuts_the_mark() -> None:
    echo = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"cidr": f"10.0.0.0/8 {ECHO_SECRET}"})
    )
    tenant = TenantSettings(
        name="echo",
        provider="sailpoint",
        client_id="id",
        client_secret=SecretStr(ECHO_SECRET),
        base_url="https://echo.example",
    )
    plan = ScanPlan(tenants=(tenant,), evaluator=lambda inv, as_of: Evaluation())
    result = run_scan(
        plan, AS_OF, registry={"sailpoint": ClippingProvider}, clients=ClientFactory(transport=echo)
    )
    (cov,) = result.coverage
    assert "10.0.0.0/8 [withheld: ma" in cov.notes  # the adapter cut the mark
    assert WITHHELD_NOTE in cov.notes
    assert ECHO_SECRET not in result.model_dump_json()


def test_scrub_secret_reaches_every_text_field() -> None:
    from auditor.app.engine import scrub_secret
    from auditor.kernel.model import RecordError

    secret = "s3cr3t-value"
    inventory = TenantInventory(
        coverage=TenantCoverage(
            tenant="t",
            provider="sailpoint",
            status="partial",
            error=f"e {secret}",
            notes=(f"n {secret}",),
            record_errors=(RecordError(record_id=secret, message=f"m {secret}"),),
        ),
        credentials=(
            Credential(
                provider="sailpoint", tenant="t", id="c", capabilities=CAPS, notes=(secret,)
            ),
        ),
    )
    assert secret not in scrub_secret(inventory, secret).model_dump_json()


def test_user_levels_reaches_the_sailpoint_adapter_and_is_refused_elsewhere(
    tmp_path: Path,
) -> None:
    from providers.sailpoint import SailPointProvider
    from tests.providers.conductorone.conftest import make_sim as make_c1_sim

    path = tmp_path / "c.yaml"
    base = """
tenants:
  - name: isc
    provider: sailpoint
    base_url: https://acme.api.identitynow.com
    client_id: 0123456789abcdef0123456789abcdef
    client_secret_env: S
    user_levels: false
  - name: isc2
    provider: sailpoint
    base_url: https://acme.api.identitynow.com
    client_id: 0123456789abcdef0123456789abcdef
    client_secret_env: S
"""
    path.write_text(base)
    registry: dict[str, type[Provider]] = {"sailpoint": SailPointProvider}
    isc, isc2 = tenant_settings(load_config(path, env={"S": "x"}), registry)
    levels = [t.options.user_levels for t in (isc, isc2) if isinstance(t.options, SailPointOptions)]
    assert len(levels) == 2
    assert levels == [False, None]  # None: the adapter's default
    path.write_text(base.replace("user_levels: false", "user_levels: maybe"))
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.user_levels"):
        load_config(path, env={"S": "x"})
    client_id, secret = make_c1_sim().mint_client()  # a well-formed ConductorOne key pair
    path.write_text(
        f"""
tenants:
  - name: c1
    provider: conductorone
    client_id: {client_id}
    client_secret_env: S
    user_levels: true
"""
    )
    # the key is SailPoint's own (SailPointOptions): the configuration says so, located
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.user_levels: .*sailpoint tenants only"):
        load_config(path, env={"S": secret})


def test_collection_runs_with_the_interpreter_tuned_and_puts_it_back() -> None:
    """Worker threads normalise while other tenants' chains wait on the event loop: during
    collection a thread holds the GIL for at most ``SWITCH_INTERVAL`` and no full garbage
    collection walks the population; the process's own settings are back afterwards, also when
    a tenant fails (``auditor.app.collecttuning``)."""
    import gc
    import sys

    from auditor.app.collecttuning import FULL_COLLECTIONS_HELD, SWITCH_INTERVAL

    seen: list[tuple[float, tuple[int, ...], bool]] = []

    class Recording(GoodProvider):
        async def collect(self) -> TenantInventory:
            seen.append((sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count() > 0))
            return await super().collect()

    before = sys.getswitchinterval()
    threshold = gc.get_threshold()
    plan = ScanPlan(
        tenants=(settings("good", "conductorone"), settings("buggy", "sailpoint")),
        evaluator=lambda inv, as_of: Evaluation(),
    )
    result = run_scan(plan, AS_OF, registry={"conductorone": Recording, "sailpoint": BuggyProvider})
    assert before > SWITCH_INTERVAL
    ((interval, thresholds, frozen),) = seen
    assert interval == pytest.approx(SWITCH_INTERVAL)  # kept in whole microseconds
    assert (thresholds, frozen) == ((*threshold[:2], FULL_COLLECTIONS_HELD), True)
    assert sys.getswitchinterval() == before
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, 0)
    assert [c.status for c in result.coverage] == ["complete", "failed"]


def test_overlapping_collections_put_the_interpreter_back_once_the_last_ends() -> None:
    """Scheduled scans run in threads of one process and may overlap: the settings stay tuned
    while any collection runs and come back to the process's own when the last one ends, in
    whichever order they end (not to the tuned values the second one found)."""
    import gc
    import sys

    from auditor.app.collecttuning import FULL_COLLECTIONS_HELD, collecting

    switch, threshold = sys.getswitchinterval(), gc.get_threshold()
    first, second = collecting(), collecting()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] == FULL_COLLECTIONS_HELD  # the second still collects
    second.__exit__(None, None, None)
    assert (sys.getswitchinterval(), gc.get_threshold()) == (switch, threshold)
    assert gc.get_freeze_count() == 0


class SharingProvider(GoodProvider):
    """Shares what it returns through its own pool, and hands the pool over."""

    async def collect(self) -> TenantInventory:
        from auditor.kernel.sharing import Sharing

        inventory = await super().collect()
        self.sharing = Sharing()
        self.sharing.share_all(inventory.credentials)
        return inventory


@pytest.mark.parametrize(("provider", "compacted"), [(SharingProvider, 0), (GoodProvider, 3)])
def test_the_engine_shares_through_the_providers_pool_when_it_hands_one_over(
    monkeypatch: pytest.MonkeyPatch, provider: type[Provider], compacted: int
) -> None:
    plan = ScanPlan(
        tenants=(settings("t", "conductorone"),), evaluator=lambda inv, as_of: Evaluation()
    )
    original = provider.collect
    passes: list[list[Any]] = []

    async def collect_then_count(self: Provider) -> TenantInventory:
        inventory = await original(self)
        passes.append(count_compactions(monkeypatch))  # from here on: the engine's pass
        return inventory

    monkeypatch.setattr(provider, "collect", collect_then_count)
    result = run_scan(plan, AS_OF, registry={"conductorone": provider})
    assert len(result.credentials) == 3
    (models,) = passes
    assert len([m for m in models if isinstance(m, Credential)]) == compacted
