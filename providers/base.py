"""The provider contract: how a vendor adapter plugs into the engine.

A provider turns one configured tenant into a ``TenantInventory``: every credential it could
normalise, plus coverage that says how complete that is (``complete``/``partial``), with notes and
per-record errors. A provider raises a ``ProviderError`` only when the tenant cannot be collected at
all; the engine turns that into coverage ``failed`` and goes on with the other tenants.

Providers build their HTTP clients through the ``ClientFactory`` the engine hands them, so that
tests and the in-process demo can inject a transport, a fake clock and a fake sleep in one place.
"""

from __future__ import annotations

import asyncio
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import httpx
from pydantic import SecretStr

from auditor.kernel.errors import ConfigError
from auditor.kernel.http import ApiClient, ErrorParser, HttpSettings, RateLimit, TokenProvider
from auditor.kernel.model import Capabilities, TenantInventory
from auditor.kernel.privilege import PrivilegeJudge
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.sharing import Sharing
from auditor.kernel.withhold import Vouched
from providers.options import NoOptions, Options
from providers.permissions import Permission

if TYPE_CHECKING:
    from providers.remediation import Remediator
    from providers.simulation import SimulatedTenant


@dataclass(frozen=True)
class TenantSettings:
    """One tenant, as the configuration resolved it. ``client_secret`` never leaves a SecretStr."""

    name: str
    provider: str
    client_id: str
    client_secret: SecretStr = field(repr=False)
    base_url: str | None = None
    api_version: str | None = None
    options: Options = field(default_factory=NoOptions)
    """The vendor's own keys, validated by its ``Provider.options_model``."""
    http: HttpSettings = field(default_factory=HttpSettings)


@dataclass(frozen=True)
class ClientFactory:
    """Builds ``ApiClient`` instances; the engine decides transport, clock and sleep."""

    transport: httpx.AsyncBaseTransport | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random
    secrets: SecretSet | None = None
    """The scan's secrets, withheld from vendor text; clients add the bearer tokens they get."""
    deadline: float | None = None
    """When the tenant's time runs out, on ``clock`` (``HttpSettings.tenant_timeout``)."""

    def client(
        self,
        *,
        tenant: str,
        base_url: str,
        settings: HttpSettings,
        auth: TokenProvider | None = None,
        error_parser: ErrorParser | None = None,
    ) -> ApiClient:
        return ApiClient(
            tenant=tenant,
            base_url=base_url,
            settings=settings,
            auth=auth,
            error_parser=error_parser,
            transport=self.transport,
            sleep=self.sleep,
            clock=self.clock,
            jitter=self.jitter,
            secrets=self.secrets,
            deadline=self.deadline,
        )


def _ignore(collected: int) -> None:
    return None


class Provider(ABC):
    """One vendor adapter. Subclasses live in ``providers/<vendor>/``."""

    name: ClassVar[str]
    """The ``provider:`` value in a configuration (``providers.registry.NAME``)."""
    label: ClassVar[str] = ""
    """What reports call the vendor, e.g. "SailPoint ISC" (empty: ``name``)."""
    credential_kind: ClassVar[str] = ""
    """What reports call one credential, e.g. "SailPoint personal access token"."""
    options_model: ClassVar[type[Options]] = NoOptions
    """The tenant keys this vendor adds to the common ones (``providers.options``)."""
    needs_client_id: ClassVar[bool] = True
    """False for a vendor whose credential is a single token: its tenants set only the secret
    (``client_secret_env`` / ``client_secret_file``) and ``TenantSettings.client_id`` is empty."""
    capabilities: ClassVar[Capabilities]
    default_rate_limit: ClassVar[RateLimit | None] = None
    """Applied when the tenant's configuration sets none (SailPoint: 100 requests per 10 s)."""
    supported_api_versions: ClassVar[tuple[str, ...]] = ()
    permissions: ClassVar[tuple[Permission, ...]] = ()
    """What the collection needs, for ``validate --connect`` (``providers.permissions``)."""
    remediator: ClassVar[type[Remediator] | None] = None
    """Its write operations for ``credaudit remediate`` (``providers.remediation``); ``None``:
    the vendor cannot be remediated through credaudit."""
    privilege_judge: ClassVar[PrivilegeJudge | None] = None
    """How the ``privileged-access`` rule judges this vendor's credentials
    (``auditor.kernel.privilege``); ``None``: that rule is ``manual`` for them."""
    remediation_hints: ClassVar[Mapping[str, str]] = {}
    """Rule id → how to apply that rule's remediation in this vendor, in a few words starting
    with the label ("Acme: set an expiry"); shown in brackets after the neutral text
    (``auditor.kernel.remediation``)."""

    @classmethod
    def simulated_tenant(cls) -> type[SimulatedTenant] | None:
        """The vendor's simulated tenant for ``credaudit demo`` and ``credaudit sandbox``
        (``providers.simulation``); ``None``: it has none. A method, so that a scan never
        imports a simulator."""
        return None

    def __init__(self, settings: TenantSettings, clients: ClientFactory) -> None:
        self.settings = settings
        self.clients = clients
        self.on_progress: Callable[[int], None] = _ignore
        """The engine sets this; call it with the running count of credentials collected."""
        self.vouched: Vouched | None = None
        """Set by a provider that searched the credentials it returns for the scan's secrets
        itself (``auditor.kernel.withhold.Vouched``): the engine does not search them again."""
        self.sharing: Sharing | None = None
        """Set by a provider that shared the equal parts of the credentials it returns as it made
        them (``auditor.kernel.sharing.Sharing``): the engine shares the inventory through the
        same pool, which passes over what it shared already."""

    @classmethod
    def validate(cls, settings: TenantSettings) -> None:
        """Raise ``ConfigError`` (with ``key`` relative to the tenant entry) for a bad setting.

        Called by ``credaudit validate`` and before every scan, so a malformed client id or secret
        is reported as configuration, never as a vendor failure. Must never echo a secret.
        """
        return None

    @classmethod
    def register_secrets(cls, secret: SecretStr, into: SecretSet) -> None:
        """Add the tenant's secret, and any key material derived from it, to ``into``: each is
        withheld wherever it appears in vendor text or an output
        (``auditor.kernel.secretmatch``)."""
        into.add(secret)

    @classmethod
    def base_url_for(cls, settings: TenantSettings) -> str:
        """The API base URL this tenant will be reached at (recorded in coverage and evidence)."""
        if settings.base_url is None:
            raise ConfigError(
                f"{cls.name} tenants need base_url", key="base_url", fix="set the tenant's API URL"
            )
        return settings.base_url.rstrip("/")

    @abstractmethod
    async def collect(self) -> TenantInventory:
        """Collect every credential of the tenant; see the module docstring."""
