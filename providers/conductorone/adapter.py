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
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError

from auditor.kernel.errors import (
    ConfigError,
    PaginationError,
    PermissionDeniedError,
    ProviderError,
)
from auditor.kernel.http import ApiClient, RateLimit
from auditor.kernel.model import Capabilities, TenantCoverage, TenantInventory
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.urls import UrlProblem, api_url_problem
from providers.base import ClientFactory, Provider, TenantSettings
from providers.conductorone.allowlists import (
    SETTINGS_PATH,
    SettingsError,
    TenantAllowLists,
    parse_settings,
    unreadable,
)
from providers.conductorone.auth import (
    AssertionTokenProvider,
    parse_client_id,
    parse_client_secret,
    register_key_material,
)
from providers.conductorone.normalise import (
    CAPABILITIES,
    BadRecord,
    parse_client,
    parse_error,
    read_page,
    read_str_list,
    record_error,
    to_credential,
)
from providers.conductorone.options import ConductorOneOptions
from providers.conductorone.owners import (
    DEFAULT_LEFT_EMPLOYMENT,
    OwnerTable,
    employed_note,
    owner_from_user,
    users_of,
)
from providers.conductorone.privilege import Catalogue, read_role
from providers.options import Options

# The paths, as named in openapi.yaml ``paths`` (docs/vendors/conductorone.md §2):
SEARCH_PATH = "/api/v1/search/iam/personal_clients"  # every user's (§2.3)
LIST_OWN_PATH = "/api/v1/iam/personal_clients"  # the caller's own, no paging parameters (§2.2)
ROLES_PATH = "/api/v1/iam/roles"  # page_size/page_token in the query (§2.5)
USERS_SEARCH_PATH = "/api/v1/search/users"  # body c1.api.user.v1.SearchUsersRequest (§2.6)
# docs/vendors/conductorone.md §2.6: unknown whether DELETED users come back unless asked for; ask
# for all.
USER_STATUSES = ("ENABLED", "DISABLED", "DELETED")  # SearchUsersRequest.userStatuses


class ConductorOneProvider(Provider):
    """Collects ConductorOne personal clients; see the module docstring for the calls."""

    name: ClassVar[str] = "conductorone"
    options_model: ClassVar[type[Options]] = ConductorOneOptions
    label: ClassVar[str] = "ConductorOne"
    credential_kind: ClassVar[str] = "ConductorOne personal client"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    supported_api_versions: ClassVar[tuple[str, ...]] = ("v1",)
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
        parse_client_id(settings.client_id)
        parse_client_secret(settings.client_secret.get_secret_value())
        if settings.api_version not in (None, "", *cls.supported_api_versions):
            raise ConfigError(
                f"api_version {settings.api_version!r} is not supported",
                key="api_version",
                fix="remove api_version or set it to v1",
            )
        if settings.base_url:
            _check_base_url(settings.base_url)

    @classmethod
    def base_url_for(cls, settings: TenantSettings) -> str:
        if settings.base_url:
            return settings.base_url.rstrip("/")
        return f"https://{parse_client_id(settings.client_id).host}"  # §1.1: https://<host>

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


def _check_base_url(url: str) -> None:
    problem = api_url_problem(url)
    fix = "use https://<tenant>.conductor.one (http only for a loopback simulator)"
    if problem is UrlProblem.NOT_HTTP_URL:
        raise ConfigError(f"base_url {url!r} is not an http(s) URL", key="base_url", fix=fix)
    if problem is UrlProblem.PLAIN_HTTP:
        raise ConfigError(
            f"base_url {url!r} uses plain http for a non-loopback host", key="base_url", fix=fix
        )


class _Run:
    """One collection: search pages, with roles and owner batches running alongside."""

    def __init__(self, provider: ConductorOneProvider, api: ApiClient) -> None:
        self.provider = provider
        self.api = api
        self.tenant = provider.settings.name
        self.notes: list[str] = []
        self.partial = False
        self.roles: dict[str, str] = {}
        self.catalogue = Catalogue()
        self.allow_lists = TenantAllowLists()
        self.users: list[dict[str, Any]] = []
        self.unresolved: set[str] = set()
        self.owner_failures: Counter[str] = Counter()
        self._requested: set[str] = set()
        self._pending: list[str] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._slots = asyncio.Semaphore(max(1, provider.settings.http.max_concurrency))

    async def collect(self, base_url: str) -> TenantInventory:
        roles_task = asyncio.create_task(self._load_roles())
        settings_task = asyncio.create_task(self._load_settings())
        try:
            items = await self._load_clients()
            self._flush_owners()
            await roles_task
            await settings_task
            await asyncio.gather(*self._tasks)
        except BaseException:
            for task in (roles_task, settings_task, *self._tasks):
                task.cancel()
            await asyncio.gather(roles_task, settings_task, *self._tasks, return_exceptions=True)
            raise
        return self._inventory(items, base_url)

    # -- personal clients ---------------------------------------------------------------------

    async def _load_clients(self) -> list[Any]:
        items: list[Any] = []
        size = self.provider.search_page_size
        guard = self.api.page_guard("personal client search")
        token = ""
        try:
            while True:
                request: dict[str, Any] = {"pageSize": size}
                if token:
                    request["pageToken"] = token  # same request plus the token (§3)
                body = await self.api.post_json(SEARCH_PATH, json=request, read_only=True)
                page, token = read_page(body, "personal client search", self.tenant)
                self._add(items, page)
                if not token:
                    return items
                guard.next_page(token, items=len(page), records=len(items))
        except PaginationError as exc:  # what was read is valid; what was not is unknown
            self.partial = True
            self.notes.append(
                f"partial population: paging stopped ({exc.message}); {len(items)} personal "
                "client record(s) were read and more may exist"
            )
            return items
        except PermissionDeniedError as exc:
            if guard.pages > 1:
                raise  # refused half-way: nothing sensible to fall back to
            return await self._load_own(exc)

    async def _load_own(self, refused: PermissionDeniedError) -> list[Any]:
        # Search needs Super Administrator (docs/vendors/conductorone.md §2.3, DOCS api.mdx L52);
        # List shows only the caller's own clients (§2.2), so the population is incomplete.
        self.partial = True
        why = refused.vendor_message or f"HTTP {refused.status_code}"
        self.notes.append(
            "partial population: searching every user's personal clients was refused "
            f"({why}); only the calling user's own personal clients were collected. "
            "Give the scanning credential's owner the Super Administrator role."
        )
        items: list[Any] = []
        page, token = read_page(
            await self.api.get_json(LIST_OWN_PATH), "personal client list", self.tenant
        )
        self._add(items, page)
        # the List operation documents no page_token parameter (docs/vendors/conductorone.md §2.2)
        if token:
            self.notes.append("the own-clients list announced more pages, which it cannot serve")
        return items

    def _add(self, items: list[Any], page: list[Any]) -> None:
        items.extend(page)
        for raw in page:
            user_id = raw.get("userId") if isinstance(raw, dict) else None
            if isinstance(user_id, str) and user_id and user_id not in self._requested:
                self._requested.add(user_id)
                self._pending.append(user_id)
        if len(self._pending) >= self.provider.owner_batch_size:
            self._flush_owners(full_only=True)
        self.provider.on_progress(len(items))

    # -- owners -------------------------------------------------------------------------------

    def _flush_owners(self, *, full_only: bool = False) -> None:
        """Start lookups for the pending ids; mid-search only full batches (so ⌈U/100⌉ in all)."""
        size = self.provider.owner_batch_size
        while len(self._pending) >= (size if full_only else 1):
            batch, self._pending = self._pending[:size], self._pending[size:]
            self._tasks.append(asyncio.create_task(self._lookup_owners(batch)))

    async def _lookup_owners(self, ids: list[str]) -> None:
        request: dict[str, Any] = {
            "refs": [{"id": i} for i in ids],  # `ids` is deprecated (SearchUsersRequest)
            "userStatuses": list(USER_STATUSES),
            "pageSize": self.provider.owner_batch_size,
        }
        found: list[dict[str, Any]] = []
        async with self._slots:
            try:
                guard = self.api.page_guard("user search")
                while True:
                    body = await self.api.post_json(USERS_SEARCH_PATH, json=request)
                    page, token = read_page(body, "user search", self.tenant)
                    found.extend(users_of(page, self.unresolved, self.owner_failures))
                    if not token:
                        break
                    guard.next_page(token, items=len(page))
                    request = {**request, "pageToken": token}
            except ProviderError as exc:
                refused = isinstance(exc, PermissionDeniedError)
                reason = "refused" if refused else "failed"
                detail = getattr(exc, "vendor_message", None) or exc.message
                self.owner_failures[f"owner lookup {reason} ({detail})"] += len(ids)
                self.unresolved.update(ids)
                return
        self.users.extend(found)

    # -- roles --------------------------------------------------------------------------------

    async def _load_roles(self) -> None:
        guard = self.api.page_guard("role list")
        params: dict[str, Any] = {"page_size": self.provider.roles_page_size}
        try:
            while True:
                body = await self.api.get_json(ROLES_PATH, params=params)
                page, token = read_page(body, "role list", self.tenant)
                for raw in page:
                    role = read_role(raw) if isinstance(raw, dict) else None
                    if role is not None:
                        self.roles[role.id] = role.name
                        self.catalogue.roles[role.id] = role
                if not token:
                    return
                guard.next_page(token, items=len(page))
                params = {**params, "page_token": token}
        except ProviderError as exc:
            self.partial = True
            self.catalogue.readable = False
            detail = getattr(exc, "vendor_message", None) or exc.message
            self.notes.append(
                f"the role catalogue could not be read ({detail}); role ids are reported as "
                "ids, so privileged-access cannot recognise privileged roles"
            )

    # -- tenant allow lists -------------------------------------------------------------------

    async def _load_settings(self) -> None:
        """``GET /api/v1/settings/session`` (``providers.conductorone.allowlists``)."""
        try:
            async with self._slots:
                body = await self.api.get_json(SETTINGS_PATH)
            self.allow_lists = parse_settings(body)
        except ProviderError as exc:
            refused = isinstance(exc, PermissionDeniedError)
            detail = getattr(exc, "vendor_message", None) or exc.message
            self.allow_lists = unreadable(f"{'refused' if refused else 'failed'}: {detail}")
        except SettingsError as exc:
            self.allow_lists = unreadable(f"unexpected response: {exc}")

    # -- assembly -----------------------------------------------------------------------------

    def _inventory(self, items: list[Any], base_url: str) -> TenantInventory:
        owners = OwnerTable(unresolved=self.unresolved)
        left = self.provider.options.inactive_employment_statuses
        left = DEFAULT_LEFT_EMPLOYMENT if left is None else left
        for user in self.users:
            try:
                owner, notes = owner_from_user(user, self.roles, left)
                owners.role_ids[user["id"]] = tuple(read_str_list(user, "roleIds"))
            except BadRecord as exc:
                owners.unresolved.add(user["id"])
                self.owner_failures[f"owner record unreadable ({exc})"] += 1
                continue
            owners.found[user["id"]] = owner
            owners.notes[user["id"]] = tuple(notes)
        employed = employed_note(self.users, owners.found)
        if employed and left:  # [] turns the employmentStatus check off: nothing to review
            self.notes.append(employed)
        for reason, count in sorted(self.owner_failures.items()):
            # Every credential is still collected and evaluated (its owner rules give `manual`),
            # so the population is complete; the note says why owners are unknown.
            self.notes.append(f"{reason} for {count} owner(s); their status is unknown")
        credentials, errors, seen = [], [], set()
        deleted = duplicates = 0
        for index, raw in enumerate(items):
            try:
                parsed = parse_client(raw)
                if parsed.deleted:
                    # revoked (docs/vendors/conductorone.md §5): not part of the population
                    deleted += 1
                    continue
                if parsed.raw_id in seen:
                    duplicates += 1
                    continue
                credential = to_credential(
                    parsed,
                    tenant=self.tenant,
                    roles=self.roles,
                    owners=owners,
                    catalogue=self.catalogue,
                    allow_lists=self.allow_lists,
                )
            except (BadRecord, ValidationError) as exc:
                errors.append(record_error(index, raw, exc))
                continue
            seen.add(parsed.raw_id)
            credentials.append(credential)
        if deleted:
            self.notes.append(f"{deleted} soft-deleted personal client(s) excluded (deletedAt set)")
        if duplicates:  # a repeated record may stand where another should have been
            self.partial = True
            self.notes.append(
                f"partial population: {duplicates} record(s) listed twice across pages, counted "
                "once; the repeats may have displaced records that were never listed"
            )
        if errors:
            self.partial = True
            self.notes.append(f"{len(errors)} personal client record(s) could not be read")
        if not self.allow_lists.readable or self.allow_lists.enforced:
            self.notes.append(self.allow_lists.describe())
        if self.catalogue.readable and self.catalogue.roles and not self.catalogue.has_permissions:
            self.notes.append(
                "the role catalogue lists no permissions, so effective privilege cannot be "
                "bounded: privileged-access is manual where no privileged role is held by id"
            )
        coverage = TenantCoverage(
            tenant=self.tenant,
            provider="conductorone",
            status="partial" if self.partial else "complete",
            base_url=base_url,
            credential_count=len(credentials),
            excluded_deleted=deleted,
            notes=tuple(self.notes),
            record_errors=tuple(errors),
            requests=self.api.stats.requests,
            retries=self.api.stats.retries,
        )
        return TenantInventory(coverage=coverage, credentials=tuple(credentials))
