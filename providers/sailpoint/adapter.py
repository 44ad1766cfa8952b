"""``SailPointProvider``: one ISC tenant's personal access tokens → ``TenantInventory``.

Flow: mint a client-credentials token (``auth``), list every PAT of the tenant with one
``GET …/personal-access-tokens`` without ``owner-id`` (a bare JSON array; the list declares no
paging, docs/vendors/sailpoint.md §2.2), fall back to ``owner-id=me`` when that is refused (coverage
``partial``), normalise each record (``records``), then resolve owners in batches (``owners``)
and, with ``user_levels: true`` (opt-in), the user level of each owner of a full-scope PAT
(``levels``).

The settings checks (``validate``, ``base_url_for``, the host patterns, ``API_HOST_FIX``) are in
``providers.sailpoint.settings``; the PAT listing and the k x 250 probe (``_list``,
``_check_array``, ``_probe_further_pages``, ``STANDARD_PAGE``) in ``providers.sailpoint.listing``;
the coverage notes in ``providers.sailpoint.notes``. The methods delegate there and every name is
re-exported here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from auditor.kernel.coveragenotes import CoverageNote, caveat, info
from auditor.kernel.http import ApiClient, RateLimit
from auditor.kernel.model import (
    Capabilities,
    Credential,
    Owner,
    RecordError,
    TenantCoverage,
    TenantInventory,
)
from auditor.kernel.privilege import PrivilegeJudge
from auditor.kernel.sharing import Sharing
from providers.base import Provider, TenantSettings
from providers.options import Options
from providers.permissions import Permission
from providers.sailpoint.auth import SailPointTokenProvider
from providers.sailpoint.errorbody import parse_error
from providers.sailpoint.judge import SailPointJudge
from providers.sailpoint.levels import LevelLookup, resolve_levels
from providers.sailpoint.listing import (
    STANDARD_PAGE,
    check_array,
    list_pats,
    probe_further_pages,
)
from providers.sailpoint.listing import _record_id as _record_id
from providers.sailpoint.notes import (
    LAST_USED_NOTE,
    MANAGED_SEEN_NOTE,
    MANAGED_UNKNOWN_NOTE,
    OFF_NOTE,
)
from providers.sailpoint.options import SailPointOptions
from providers.sailpoint.owners import LifecycleStates, OwnerFacts, OwnerLookup, resolve_owners
from providers.sailpoint.records import CAPABILITIES, RecordProblem, parse_pat
from providers.sailpoint.remediate import SailPointRemediator
from providers.sailpoint.scopes import admin_only, unusable
from providers.sailpoint.settings import _LOGIN_HOST as _LOGIN_HOST
from providers.sailpoint.settings import _UI_HOST as _UI_HOST
from providers.sailpoint.settings import (
    API_HOST_FIX,
    api_base_url,
    validate_settings,
)
from providers.sailpoint.versions import DEFAULT_VERSION, SUPPORTED_VERSIONS, VERSIONS, ApiVersion
from providers.simulation import SimulatedTenant

__all__ = [
    "API_HOST_FIX",
    "LAST_USED_NOTE",
    "MANAGED_SEEN_NOTE",
    "MANAGED_UNKNOWN_NOTE",
    "OFF_NOTE",
    "STANDARD_PAGE",
    "_LOGIN_HOST",
    "_UI_HOST",
    "_UNKNOWN_OWNER",
    "SailPointProvider",
    "_record_id",
    "_with_owner",
]

_UNKNOWN_OWNER = OwnerFacts("unknown")


class SailPointProvider(Provider):
    """SailPoint ISC personal access tokens (config: ``base_url``, optional ``api_version`` and
    ``user_levels``)."""

    name = "sailpoint"
    options_model: ClassVar[type[Options]] = SailPointOptions
    label: ClassVar[str] = "SailPoint ISC"
    credential_kind: ClassVar[str] = "SailPoint personal access token"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    # docs/vendors/sailpoint.md §5.4: 100 requests per client_id (per API version) per 10 s. 95
    # leaves room for the gap between when we start a request and when SailPoint's gateway counts
    # it.
    default_rate_limit: ClassVar[RateLimit | None] = RateLimit(95, 10.0)
    supported_api_versions: ClassVar[tuple[str, ...]] = SUPPORTED_VERSIONS
    # operations: tests/specs/sailpoint (idn/v3 paths, operationId); rights and scopes: the
    # spec's security and x-sailpoint-userLevels, docs/vendors/sailpoint.md
    permissions: ClassVar[tuple[Permission, ...]] = (
        Permission(
            "list",
            "list every PAT of the tenant (idn:all-personal-access-tokens:read)",
            "GET /v3/personal-access-tokens (listPersonalAccessTokens)",
            refused=frozenset({"list-refused"}),
        ),
        Permission(
            "managed-pats",
            "see Workflow-managed PATs (idn:managed-personal-access-tokens:read)",
            "GET /v3/personal-access-tokens (listPersonalAccessTokens)",
            unconfirmed=frozenset({"managed-pats-unconfirmed"}),
        ),
        Permission(
            "owner-lookup",
            "look up each PAT's owner",
            "GET /v3/public-identities (getPublicIdentities)",
            refused=frozenset({"owner-lookup-refused"}),
            failed=frozenset({"owner-lookup-failed"}),
            needs_credentials=True,
        ),
        Permission(
            "user-levels",
            "read owners' user levels (sp:auth-user:read; user_levels: true)",
            "GET /v3/auth-users/{id} (getAuthUser)",
            refused=frozenset({"user-levels-refused"}),
            failed=frozenset({"user-levels-failed"}),
            skipped=frozenset({"user-levels-off"}),
            proven_by=frozenset({"user-levels-read", "user-levels-missing"}),
        ),
    )
    remediator = SailPointRemediator
    privilege_judge: ClassVar[PrivilegeJudge | None] = SailPointJudge()
    remediation_hints: ClassVar[Mapping[str, str]] = {
        "no-expiry": "SailPoint: set expirationDate",
        "full-owner-access": "SailPoint: explicit scopes instead of sp:scopes:all",
    }

    @classmethod
    def simulated_tenant(cls) -> type[SimulatedTenant]:
        from providers.sailpoint.simtenant import SailPointSimulatedTenant

        return SailPointSimulatedTenant

    @property
    def options(self) -> SailPointOptions:
        given = self.settings.options
        return given if isinstance(given, SailPointOptions) else SailPointOptions()

    @classmethod
    def validate(cls, settings: TenantSettings) -> None:
        validate_settings(settings)

    @classmethod
    def base_url_for(cls, settings: TenantSettings) -> str:
        return api_base_url(settings)

    async def collect(self) -> TenantInventory:
        settings = self.settings
        base_url = self.base_url_for(settings)
        version = VERSIONS[settings.api_version or DEFAULT_VERSION]
        http = settings.http
        if http.rate_limit is None:
            http = replace(http, rate_limit=self.default_rate_limit)
        auth = SailPointTokenProvider(
            settings.client_id, settings.client_secret, tenant=settings.name
        )
        async with self.clients.client(
            tenant=settings.name,
            base_url=base_url,
            settings=http,
            auth=auth,
            error_parser=parse_error,
        ) as client:
            started = client.clock()
            items, notes, partial = await self._list(client, version)
            # CPU work on the whole tenant (20k records: seconds), in a worker thread so that
            # the other tenants' request chains on this event loop go on meanwhile
            sharing = self.sharing = Sharing()  # equal parts shared as each one is made
            credentials, errors = await asyncio.to_thread(self._normalise, items, sharing)
            self.on_progress(len(credentials))
            owner_ids = await asyncio.to_thread(_owner_ids, credentials)
            lookup = await resolve_owners(
                client,
                owner_ids,
                concurrency=http.max_concurrency,
                states=LifecycleStates.of(
                    *(
                        (states.active, states.inactive)
                        if (states := self.options.lifecycle_states)
                        else (None, None)
                    )
                ),
            )
            levels = await self._levels(client, credentials, lookup)
            credentials = await asyncio.to_thread(
                _with_owners, credentials, lookup, levels, sharing
            )
            managed = sum(1 for c in credentials if c.managed)
            notes += [*lookup.notes, *levels.notes]
            notes += [
                info("managed-pats-seen", MANAGED_SEEN_NOTE.format(count=managed), count=managed)
                if managed
                else caveat("managed-pats-unconfirmed", MANAGED_UNKNOWN_NOTE),
                info("last-used-precision", LAST_USED_NOTE),
            ]
            coverage = TenantCoverage(
                tenant=settings.name,
                provider="sailpoint",
                # an unreadable record is a PAT we could not evaluate: the population is short
                status="partial" if partial or errors else "complete",
                base_url=base_url,
                credential_count=len(credentials),
                note_details=tuple(notes),
                record_errors=tuple(errors),
                requests=client.stats.requests,
                retries=client.stats.retries,
                duration_seconds=round(max(0.0, client.clock() - started), 3),
            )
        return TenantInventory(coverage=coverage, credentials=tuple(credentials))

    async def _levels(
        self, client: ApiClient, credentials: list[Credential], lookup: OwnerLookup
    ) -> LevelLookup:
        """User levels of the owners whose full-scope PATs need them (``levels``).

        Opt-in (``user_levels: true``): it costs one request per owner (there is no batch form)
        and the scope ``sp:auth-user:read``, where the rest of the collection needs only the PAT
        list's right and the default scope, in batches (least privilege: off unless asked for)."""
        wanted, off = await asyncio.to_thread(self._level_plan, credentials, lookup)
        if off is not None or not wanted:
            return off or LevelLookup()
        return await resolve_levels(
            client,
            wanted,
            concurrency=self.settings.http.max_concurrency,
            on_step=lambda: self.on_progress(len(credentials)),
        )

    def _level_plan(
        self, credentials: list[Credential], lookup: OwnerLookup
    ) -> tuple[list[str], LevelLookup | None]:
        """In a worker thread (a whole tenant's credentials): the owners whose levels are
        wanted, or, when ``user_levels`` is off, what to say instead of reading them."""
        wanted = [
            c.owner.id
            for c in credentials
            # full scope: the level is the access; a scope only some levels may use: the level
            # says whether the PAT can exercise it (``scopes.unusable``)
            if (c.scope_mode == "full" or any(map(admin_only, c.scopes)))
            and c.owner.id
            # an owner the tenant does not know has no auth user either
            and lookup.facts.get(c.owner.id, _UNKNOWN_OWNER).status != "not_found"
        ]
        if not wanted or self.options.user_levels is True:
            return wanted, None
        full = [c for c in credentials if c.scope_mode == "full"]
        owners = {c.owner.id for c in full} & set(wanted)
        pats = sum(1 for c in full if c.owner.id in owners)
        if not pats:
            return [], LevelLookup()
        off = OFF_NOTE.format(pats=pats, owners=len(owners))
        return [], LevelLookup(notes=[caveat("user-levels-off", off, count=pats)])

    async def _list(
        self, client: ApiClient, version: ApiVersion
    ) -> tuple[list[Any], list[CoverageNote], bool]:
        """The PAT list, coverage notes, and whether only the caller's own PATs were listed
        (``listing.list_pats``)."""
        return await list_pats(client, version, tenant=self.settings.name)

    def _check_array(self, body: Any, version: ApiVersion) -> None:
        check_array(body, version, tenant=self.settings.name)

    async def _probe_further_pages(
        self,
        client: ApiClient,
        version: ApiVersion,
        params: dict[str, str],
        body: list[Any],
        notes: list[CoverageNote],
    ) -> tuple[list[Any], bool]:
        """Make sure a list of exactly k x 250 records was not cut at a default page size
        (``listing.probe_further_pages``)."""
        return await probe_further_pages(
            client, version, params, body, notes, tenant=self.settings.name
        )

    def _normalise(
        self, items: list[Any], sharing: Sharing | None = None
    ) -> tuple[list[Credential], list[RecordError]]:
        """Every listed record normalised; ``items`` is emptied as it goes (each raw record is
        let go once normalised, so a tenant's raw records and credentials are not held twice)."""
        credentials: list[Credential] = []
        errors: list[RecordError] = []
        seen: set[str] = set()
        for index in range(len(items)):
            raw, items[index] = items[index], None
            try:
                credential = parse_pat(raw, tenant=self.settings.name)
            except RecordProblem as exc:
                errors.append(RecordError(index=index, record_id=exc.record_id, message=str(exc)))
                continue
            if credential.id in seen:
                errors.append(
                    RecordError(
                        index=index,
                        record_id=credential.id,
                        message="duplicate PAT id in the list; the first occurrence was kept",
                    )
                )
                continue
            seen.add(credential.id)
            if sharing is not None:
                sharing.share(credential)
            credentials.append(credential)
        items.clear()
        return credentials, errors


def _owner_ids(credentials: list[Credential]) -> list[str]:
    return [c.owner.id or "" for c in credentials]


def _with_owners(
    credentials: list[Credential],
    lookup: OwnerLookup,
    levels: LevelLookup,
    sharing: Sharing | None = None,
) -> list[Credential]:
    """``credentials`` with their owners, replaced in place (each old one let go as it goes:
    never two copies of the tenant), their equal parts shared as they are made."""
    for index, credential in enumerate(credentials):
        credentials[index] = _with_owner(credential, lookup, levels)
        if sharing is not None:
            sharing.share(credentials[index])
    return credentials


def _with_owner(credential: Credential, lookup: OwnerLookup, levels: LevelLookup) -> Credential:
    facts = lookup.facts.get(credential.owner.id or "")
    if facts is None:
        return credential
    roles = levels.levels.get(credential.owner.id or "", ())
    owner = Owner(
        id=credential.owner.id,
        name=credential.owner.name or facts.name,
        email=facts.email,
        status=facts.status,
        # the owner's user level(s) (levels module); empty: not read, so unknown
        roles=roles,
        # why it could not be verified, carried by inactive-owner's one manual row
        status_reason=facts.note if facts.status == "unknown" else None,
    )
    notes = credential.notes + ((facts.note,) if facts.note else ())
    update: dict[str, object] = {"owner": owner, "notes": notes}
    if credential.scope_mode == "scoped":
        update["unusable_scopes"] = unusable(credential.scopes, roles)
    return credential.model_copy(update=update)
