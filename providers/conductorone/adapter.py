"""The ConductorOne adapter: every user's personal clients, their owners and role names.

Calls (docs/vendors/conductorone.md §6), for N personal clients owned by U distinct users and R
roles:

- 1 token request (``POST /auth/v1/token``), plus one more each time the token nears the end of
  its ``expires_in`` (600 s in the docs) during a long scan, plus one on a 401;
- ⌈N/25⌉ pages of ``POST /api/v1/search/iam/personal_clients`` (at least 1; the spec asks for a
  page size of at most 25, openapi.yaml ``paths./api/v1/search/iam/personal_clients.post``). These
  are the only inherently sequential requests: each page needs the previous page's token;
- ⌈R/100⌉ pages of ``GET /api/v1/iam/roles`` (at least 1), concurrent with the search; each
  role's ``permissions`` give every key's effective privilege
  (``providers.conductorone.privilege``);
- 1 ``GET /api/v1/settings/session`` (the tenant-wide API-key allow lists,
  ``providers.conductorone.allowlists``), concurrent with the search; refused or failed, keys
  without their own allow list are ``manual`` for the network rules, and keys with a narrow one
  for broad-source-restriction (noted in coverage);
- ⌈U/100⌉ batches of ``POST /api/v1/search/users`` with 100 ``refs`` each, started while the
  search is still paging, so owner lookups overlap it (never one request per owner);
- on a 403 from the search: that 1 refused request plus 1 ``GET /api/v1/iam/personal_clients``.

Total without faults: 2 + max(1, ⌈N/25⌉) + max(1, ⌈R/100⌉) + ⌈U/100⌉; retries (429 with
``Retry-After``, 502/503/504) come on top and are counted in coverage. Concurrency is bounded by
the tenant's ``http.max_concurrency`` (the ``ApiClient`` semaphore plus our own for owner batches).

The ``_Run`` collection is split by concern: owner lookups in
``providers.conductorone.ownerlookups``, the role catalogue and session settings in
``providers.conductorone.tenantwide``, the assembly into an inventory in
``providers.conductorone.assembly`` (mixins of ``_Run``); the tenant's configuration checks
(``validate``, ``base_url_for``, ``_check_base_url``) in ``providers.conductorone.settings``. The
paths and ``_check_base_url`` are re-exported here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import SecretStr

from auditor.kernel.coveragenotes import CoverageNote, cause
from auditor.kernel.errors import PaginationError, PermissionDeniedError
from auditor.kernel.http import ApiClient, Deferred, Phase, RateLimit
from auditor.kernel.model import Capabilities, TenantInventory
from auditor.kernel.privilege import PrivilegeJudge
from auditor.kernel.secretmatch import SecretSet
from providers.base import ClientFactory, Provider, TenantSettings
from providers.conductorone.allowlists import TenantAllowLists
from providers.conductorone.assembly import _Assembly
from providers.conductorone.auth import (
    AssertionTokenProvider,
    parse_client_secret,
    register_key_material,
)
from providers.conductorone.judge import ConductorOneJudge
from providers.conductorone.normalise import CAPABILITIES, parse_error, read_page
from providers.conductorone.options import ConductorOneOptions
from providers.conductorone.ownerlookups import USER_STATUSES, USERS_SEARCH_PATH, _OwnerLookups
from providers.conductorone.privilege import Catalogue
from providers.conductorone.remediate import ConductorOneRemediator
from providers.conductorone.settings import _check_base_url as _check_base_url
from providers.conductorone.settings import api_base_url, validate_settings
from providers.conductorone.tenantwide import ROLES_PATH, _TenantWide
from providers.options import Options
from providers.permissions import Permission
from providers.simulation import SimulatedTenant

__all__ = [
    "LIST_OWN_PATH",
    "ROLES_PATH",
    "SEARCH_PATH",
    "USERS_SEARCH_PATH",
    "USER_STATUSES",
    "ConductorOneProvider",
    "_Run",
    "_check_base_url",
]


# The paths, as named in openapi.yaml ``paths`` (docs/vendors/conductorone.md §2):
SEARCH_PATH = "/api/v1/search/iam/personal_clients"  # every user's (§2.3)
LIST_OWN_PATH = "/api/v1/iam/personal_clients"  # the caller's own, no paging parameters (§2.2)


class ConductorOneProvider(Provider):
    """Collects ConductorOne personal clients; see the module docstring for the calls."""

    name: ClassVar[str] = "conductorone"
    options_model: ClassVar[type[Options]] = ConductorOneOptions
    label: ClassVar[str] = "ConductorOne"
    credential_kind: ClassVar[str] = "ConductorOne personal client"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    supported_api_versions: ClassVar[tuple[str, ...]] = ("v1",)
    # operations: tests/specs/conductorone/openapi.yaml (operationId); rights: docs/vendors/
    # conductorone.md §2 and the README's permissions table
    permissions: ClassVar[tuple[Permission, ...]] = (
        Permission(
            "list",
            "list every user's personal clients",
            "POST /api/v1/search/iam/personal_clients "
            "(c1.api.iam.v1.PersonalClientSearchService.Search)",
            refused=frozenset({"list-refused"}),
        ),
        Permission(
            "owner-lookup",
            "look up each client's owner",
            "POST /api/v1/search/users (c1.api.user.v1.UserSearch.Search)",
            refused=frozenset({"owner-lookup-refused"}),
            failed=frozenset({"owner-lookup-failed", "owner-record-unreadable"}),
            needs_credentials=True,
        ),
        Permission(
            "roles",
            "read the role catalogue (privileged roles)",
            "GET /api/v1/iam/roles (c1.api.iam.v1.Roles.List)",
            failed=frozenset({"roles-unreadable"}),
        ),
        Permission(
            "session-settings",
            "read the tenant-wide API-key allow lists",
            "GET /api/v1/settings/session (c1.api.settings.v1.SessionSettingsService.Get)",
            refused=frozenset({"allow-lists-refused"}),
            failed=frozenset({"allow-lists-unreadable"}),
        ),
    )
    remediator = ConductorOneRemediator
    privilege_judge: ClassVar[PrivilegeJudge | None] = ConductorOneJudge()
    remediation_hints: ClassVar[Mapping[str, str]] = {
        "no-expiry": "ConductorOne: 30 or 90 days",
        "no-source-restriction": "ConductorOne: 'Limit source IPs' / allowSourceCidr",
        "full-owner-access": "ConductorOne: scoped roles",
    }

    @classmethod
    def simulated_tenant(cls) -> type[SimulatedTenant]:
        from providers.conductorone.simtenant import ConductorOneSimulatedTenant

        return ConductorOneSimulatedTenant

    # docs/vendors/conductorone.md §4: no documented rate limit; 429 + Retry-After is handled by
    # retries.
    default_rate_limit: ClassVar[RateLimit | None] = None
    search_page_size: ClassVar[int] = 25
    roles_page_size: ClassVar[int] = 100
    owner_batch_size: ClassVar[int] = 100  # c1.api.user.v1.SearchUsersRequest.pageSize <= 100

    @property
    def options(self) -> ConductorOneOptions:
        given = self.settings.options
        return given if isinstance(given, ConductorOneOptions) else ConductorOneOptions()

    def __init__(
        self,
        settings: TenantSettings,
        clients: ClientFactory,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(settings, clients)
        self.wall_clock = wall_clock
        """Real time for the assertion's iat/exp; the server checks them against its clock."""

    @classmethod
    def register_secrets(cls, secret: SecretStr, into: SecretSet) -> None:
        register_key_material(secret.get_secret_value(), into)

    @classmethod
    def validate(cls, settings: TenantSettings) -> None:
        validate_settings(settings, cls.supported_api_versions)

    @classmethod
    def base_url_for(cls, settings: TenantSettings) -> str:
        return api_base_url(settings)

    async def collect(self) -> TenantInventory:
        self.validate(self.settings)
        base_url = self.base_url_for(self.settings)
        auth = AssertionTokenProvider(
            self.settings.client_id.strip(),
            parse_client_secret(self.settings.client_secret.get_secret_value()),
            urlsplit(base_url).hostname or "",  # aud = host without port (§1.3 A step 1)
            wall_clock=self.wall_clock,
        )
        async with self.clients.client(
            tenant=self.settings.name,
            base_url=base_url,
            settings=self.settings.http,
            auth=auth,
            error_parser=parse_error,
        ) as api:
            return await _Run(self, api).collect(base_url)


class _Run(_OwnerLookups, _TenantWide, _Assembly):
    """One collection: search pages, with roles and owner batches running alongside."""

    def __init__(self, provider: ConductorOneProvider, api: ApiClient) -> None:
        self.provider = provider
        self.api = api
        self.tenant = provider.settings.name
        self.notes: list[CoverageNote] = []
        self.partial = False
        self.roles: dict[str, str] = {}
        self.catalogue = Catalogue()
        self.allow_lists = TenantAllowLists()
        self.users: list[dict[str, Any]] = []
        self.unresolved: dict[str, str] = {}
        self.owner_failures: list[CoverageNote] = []
        self._requested: set[str] = set()
        self._pending: list[str] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._owner_phase: Phase | None = None
        self._slots = asyncio.Semaphore(max(1, provider.settings.http.max_concurrency))
        self._early_init()

    async def collect(self, base_url: str) -> TenantInventory:
        roles_task = asyncio.create_task(self._load_roles())
        settings_task = asyncio.create_task(self._load_settings())
        tenantwide = asyncio.gather(roles_task, settings_task)
        tenantwide.add_done_callback(self._tenantwide_read)
        try:
            items = await self._load_clients()
            self._flush_owners()
            await tenantwide
            await asyncio.gather(*self._tasks)
            await self._early_done()
        except BaseException:
            tasks = (roles_task, settings_task, *self._tasks, *self._early_cancel())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            if self._owner_phase is not None:
                self._owner_phase.finish()
        # normalising every record (20k: seconds of CPU) in a worker thread, so that the other
        # tenants' request chains on this event loop go on meanwhile
        try:
            return await asyncio.to_thread(self._inventory, items, base_url)
        finally:
            # this run sits in reference cycles (its tasks and callbacks) that only a full garbage
            # collection frees, and none runs while tenants collect (auditor.app.collecttuning):
            # what it read is let go now, not held beside the inventory until then
            items.clear()
            self._let_go()

    # -- personal clients ---------------------------------------------------------------------

    async def _load_clients(self) -> list[Any]:
        """Every page of the search. Each page needs the previous page's token, so this chain
        sets the tenant's pace: once a page's token is known (and holds no secret), the next
        page's request is sent before this page is searched for secrets and read, so that work
        overlaps the next round trip. The requests sent, and when paging stops, are the same as
        page by page."""
        items: list[Any] = []
        guard = self.api.page_guard("personal client search")
        ahead: asyncio.Task[Deferred] | None = asyncio.create_task(self._search(""))
        # the response says nothing of the total (SearchPersonalClientsResponse: list and
        # nextPageToken), so the phase counts pages without a total
        with self.api.phase("search pages", unit="pages") as pages:
            try:
                while ahead is not None:
                    deferred, ahead = await ahead, None
                    raw, token = read_page(deferred.raw, "personal client search", self.tenant)
                    stop: PaginationError | None = None
                    if token:
                        try:
                            guard.next_page(token, items=len(raw), records=len(items) + len(raw))
                        except PaginationError as exc:
                            stop = exc
                        if stop is None and not deferred.holds_secret(token):
                            sent = asyncio.get_running_loop().create_future()
                            ahead = asyncio.create_task(self._search(token, sent))
                            # this page is read once the next request is on the wire (or
                            # failed), so the reading overlaps its round trip; over a transport
                            # that sends no trace events (the in-process demo) once it is done
                            await asyncio.wait((sent, ahead), return_when=asyncio.FIRST_COMPLETED)
                    body = deferred.withheld()
                    page, token = read_page(body, "personal client search", self.tenant)
                    pages.advance()
                    self._add(items, page)
                    if stop is not None:
                        raise stop
                    if token and ahead is None:  # it held a secret: sent withheld, as it was
                        ahead = asyncio.create_task(self._search(token))
                return items
            except PaginationError as exc:  # what was read is valid; what was not is unknown
                self.partial = True
                self.notes.append(
                    cause(
                        "paging-stopped",
                        f"partial population: paging stopped ({exc.message}); {len(items)} "
                        "personal client record(s) were read and more may exist",
                    )
                )
                return items
            except PermissionDeniedError as exc:
                if guard.pages > 1:
                    raise  # refused half-way: nothing sensible to fall back to
                refused = exc
            finally:
                if ahead is not None:
                    ahead.cancel()
                    await asyncio.gather(ahead, return_exceptions=True)
        return await self._load_own(refused)

    async def _search(self, token: str, sent: asyncio.Future[None] | None = None) -> Deferred:
        request: dict[str, Any] = {"pageSize": self.provider.search_page_size}
        if token:
            request["pageToken"] = token  # same request plus the token (§3)

        def on_sent() -> None:
            if sent is not None and not sent.done():
                sent.set_result(None)

        return await self.api.post_json_deferred(
            SEARCH_PATH, json=request, read_only=True, on_sent=on_sent
        )

    async def _load_own(self, refused: PermissionDeniedError) -> list[Any]:
        # Search needs Super Administrator (docs/vendors/conductorone.md §2.3, DOCS api.mdx L52);
        # List shows only the caller's own clients (§2.2), so the population is incomplete.
        self.partial = True
        why = refused.vendor_message or f"HTTP {refused.status_code}"
        self.notes.append(
            cause(
                "list-refused",
                "partial population: searching every user's personal clients was refused "
                f"({why}); only the calling user's own personal clients were collected",
                advice="give the scanning credential's owner the Super Administrator role",
            )
        )
        items: list[Any] = []
        page, token = read_page(
            await self.api.get_json(LIST_OWN_PATH), "personal client list", self.tenant
        )
        self._add(items, page)
        # the List operation documents no page_token parameter (docs/vendors/conductorone.md §2.2)
        if token:
            self.notes.append(
                cause(
                    "paging-stopped",
                    "the own-clients list announced more pages, which it cannot serve",
                )
            )
        return items

    def _add(self, items: list[Any], page: list[Any]) -> None:
        """A page's records, each checked as it comes (``_Assembly.parsed``: the raw dicts are
        let go page by page, not held for the whole tenant), and their owners queued."""
        for raw in page:
            user_id = raw.get("userId") if isinstance(raw, dict) else None
            if isinstance(user_id, str) and user_id and user_id not in self._requested:
                self._requested.add(user_id)
                self._pending.append(user_id)
            items.append(self.parsed(len(items), raw))
            self._early_note(items, len(items) - 1)
        if len(self._pending) >= self.provider.owner_batch_size:
            self._flush_owners(full_only=True)
        self.provider.on_progress(len(items))
