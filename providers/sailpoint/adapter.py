"""``SailPointProvider``: one ISC tenant's personal access tokens → ``TenantInventory``.

Flow: mint a client-credentials token (``auth``), list every PAT of the tenant with one
``GET …/personal-access-tokens`` without ``owner-id`` (a bare JSON array; the list declares no
paging, docs/vendors/sailpoint.md §2.2), fall back to ``owner-id=me`` when that is refused (coverage
``partial``), normalise each record (``records``), then resolve owners in batches (``owners``)
and, with ``user_levels: true`` (opt-in), the user level of each owner of a full-scope PAT
(``levels``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import urlsplit

from auditor.kernel.errors import (
    ClientRequestError,
    ConfigError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    ResponseFormatError,
)
from auditor.kernel.http import ApiClient, RateLimit
from auditor.kernel.model import (
    Capabilities,
    Credential,
    Owner,
    RecordError,
    TenantCoverage,
    TenantInventory,
)
from auditor.kernel.urls import UrlProblem, api_url_problem
from providers.base import Provider, TenantSettings
from providers.options import Options
from providers.sailpoint.auth import SailPointTokenProvider
from providers.sailpoint.errorbody import parse_error
from providers.sailpoint.levels import LevelLookup, resolve_levels
from providers.sailpoint.options import SailPointOptions
from providers.sailpoint.owners import LifecycleStates, OwnerFacts, OwnerLookup, resolve_owners
from providers.sailpoint.records import CAPABILITIES, RecordProblem, parse_pat
from providers.sailpoint.scopes import admin_only, unusable
from providers.sailpoint.versions import DEFAULT_VERSION, SUPPORTED_VERSIONS, VERSIONS, ApiVersion

API_HOST_FIX = "use the API host https://<tenant>.api.identitynow.com (no path)"
# v3 spec paths./personal-access-tokens.get, parameter owner-id: "If the caller has the following
# right, then managed personal access tokens associated with owner-id will be retrieved:
# 'idn:managed-personal-access-tokens:read'". No endpoint reports the caller's rights, so a list
# with no managed PAT cannot tell "none exist" from "not allowed to see them".
MANAGED_SEEN_NOTE = (
    "platform-managed PATs (created by Workflows) are covered: the list included {count}, which "
    "SailPoint returns only to a caller holding idn:managed-personal-access-tokens:read"
)
MANAGED_UNKNOWN_NOTE = (
    "platform-managed PATs (created by Workflows) may be missing: none were listed, and SailPoint "
    "lists them only to a caller holding idn:managed-personal-access-tokens:read, which this scan "
    "cannot confirm; if the tenant runs Workflows, give the auditing PAT's owner that right"
)
OFF_NOTE = (
    "owner user levels were not read (user_levels is off, the default), so privileged-access is "
    "manual for {pats} full-scope PATs of known owners; user_levels: true reads them: one GET "
    "/v3/auth-users/{{id}} per owner ({owners} here), scope sp:auth-user:read"
)
LAST_USED_NOTE = "SailPoint refreshes lastUsed at most once a day: idle times are accurate to a day"
_UI_HOST = re.compile(r"^(?P<tenant>[^.]+)\.(?P<domain>identitynow(?:-demo)?\.com)$")
_LOGIN_HOST = re.compile(r"^(?P<tenant>[^.]+)\.login\.sailpoint\.com$")  # authorize host, §1.1


_UNKNOWN_OWNER = OwnerFacts("unknown")

STANDARD_PAGE = 250
"""ISC's default and maximum ``limit`` for collections (docs/vendors/sailpoint.md §5.1)."""


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

    @property
    def options(self) -> SailPointOptions:
        given = self.settings.options
        return given if isinstance(given, SailPointOptions) else SailPointOptions()

    @classmethod
    def validate(cls, settings: TenantSettings) -> None:
        client_id = settings.client_id.strip()
        if not client_id or any(ch.isspace() for ch in client_id):
            raise ConfigError(
                "the client id is empty or contains whitespace",
                key="client_id",
                fix="set it to the personal access token's client id (32 hexadecimal characters)",
            )
        if re.fullmatch(r"[0-9a-fA-F]{64}", client_id):
            raise ConfigError(
                "the client id has the shape of a PAT secret (64 hex characters), not of its id",
                key="client_id",
                fix="put the PAT's client id here and its secret in the secret variable",
            )
        secret = settings.client_secret.get_secret_value()
        if not secret.strip():
            raise ConfigError("the client secret is empty", key="client_secret_env")
        if secret.strip() == client_id:
            raise ConfigError(
                "the client secret equals the client id",
                key="client_secret_env",
                fix="set it to the PAT's secret, shown once when the PAT was created",
            )
        cls.base_url_for(settings)
        version = settings.api_version
        if version is not None and version not in VERSIONS:
            raise ConfigError(
                f"api_version {version!r} is not supported",
                key="api_version",
                fix=f"use one of {', '.join(SUPPORTED_VERSIONS)} (v1 = /personal-access-tokens/v1)",
            )

    @classmethod
    def base_url_for(cls, settings: TenantSettings) -> str:
        raw = (settings.base_url or "").strip()
        if not raw:
            raise ConfigError("SailPoint needs base_url", key="base_url", fix=API_HOST_FIX)
        problem = api_url_problem(raw)
        if problem is UrlProblem.NOT_HTTP_URL:
            raise ConfigError(
                f"base_url {raw!r} is not an http(s) URL", key="base_url", fix=API_HOST_FIX
            )
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower()
        if problem is UrlProblem.PLAIN_HTTP:
            raise ConfigError(
                "base_url must use https (http only for loopback hosts)",
                key="base_url",
                fix=f"use https://{host}",
            )
        ui = _UI_HOST.match(host)
        # docs/vendors/sailpoint.md §1.3: API host {tenant}.api.identitynow.com, UI
        # {tenant}.identitynow.com
        if ui:
            api = f"https://{ui['tenant']}.api.{ui['domain']}"
            raise ConfigError(
                f"base_url {raw!r} is the user-interface host, not the API host",
                key="base_url",
                fix=f"use {api}",
            )
        login = _LOGIN_HOST.match(host)
        if login:
            raise ConfigError(
                f"base_url {raw!r} is the login (OAuth authorize) host, not the API host",
                key="base_url",
                fix=f"use https://{login['tenant']}.api.identitynow.com",
            )
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise ConfigError(
                f"base_url {raw!r} has a path; it must be the API host only",
                key="base_url",
                fix=f"use {parts.scheme}://{parts.netloc} and set api_version for the version",
            )
        return f"{parts.scheme}://{parts.netloc}"

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
            credentials, errors = self._normalise(items)
            self.on_progress(len(credentials))
            lookup = await resolve_owners(
                client,
                [c.owner.id or "" for c in credentials],
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
            credentials = [_with_owner(c, lookup, levels) for c in credentials]
            managed = sum(1 for c in credentials if c.managed)
            notes += [*lookup.notes, *levels.notes]
            notes += [
                MANAGED_SEEN_NOTE.format(count=managed) if managed else MANAGED_UNKNOWN_NOTE,
                LAST_USED_NOTE,
            ]
            coverage = TenantCoverage(
                tenant=settings.name,
                provider="sailpoint",
                # an unreadable record is a PAT we could not evaluate: the population is short
                status="partial" if partial or errors else "complete",
                base_url=base_url,
                credential_count=len(credentials),
                notes=tuple(notes),
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
        if not wanted:
            return LevelLookup()
        if self.options.user_levels is not True:
            full = [c for c in credentials if c.scope_mode == "full"]
            owners = {c.owner.id for c in full} & set(wanted)
            pats = sum(1 for c in full if c.owner.id in owners)
            if not pats:
                return LevelLookup()
            return LevelLookup(notes=[OFF_NOTE.format(pats=pats, owners=len(owners))])
        return await resolve_levels(
            client,
            wanted,
            concurrency=self.settings.http.max_concurrency,
            on_step=lambda: self.on_progress(len(credentials)),
        )

    async def _list(
        self, client: ApiClient, version: ApiVersion
    ) -> tuple[list[Any], list[str], bool]:
        """The PAT list, coverage notes, and whether only the caller's own PATs were listed."""
        notes = [f"api version {version.name} ({version.pat_path})"]
        partial = False
        try:
            body = await client.get_json(version.pat_path)
        except NotFoundError as exc:
            exc.args = (
                f"{exc.args[0]} (is base_url the API host, and does this tenant serve api_version "
                f"{version.name}? v3 is available on every tenant until Q1 2029)",
            )
            raise
        except PermissionDeniedError as exc:
            # spec idn/v3/paths/personal-access-tokens.yaml, owner-id: the whole tenant needs the
            # right idn:all-personal-access-tokens:read, owner-id=me
            # idn:my-personal-access-tokens:read
            body = await client.get_json(version.pat_path, params={"owner-id": "me"})
            reason = f": {exc.vendor_message}" if exc.vendor_message else ""
            partial = True
            notes.insert(
                0,
                "Listing the whole tenant was refused (HTTP 403"
                f"{reason}); only the auditing credential's own PATs (owner-id=me) were "
                "collected. Give the PAT's owner the right idn:all-personal-access-tokens:read "
                "and the PAT the scope sp:all-personal-access-tokens:read (or sp:scopes:all)",
            )
        self._check_array(body, version)
        if body and len(body) % STANDARD_PAGE == 0:
            params = {"owner-id": "me"} if partial else {}
            body, cut = await self._probe_further_pages(client, version, params, body, notes)
            partial = partial or cut
        return body, notes, partial

    def _check_array(self, body: Any, version: ApiVersion) -> None:
        if not isinstance(body, list):
            raise ResponseFormatError(
                f"GET {version.pat_path} returned a {type(body).__name__}, not a JSON array",
                tenant=self.settings.name,
            )

    async def _probe_further_pages(
        self,
        client: ApiClient,
        version: ApiVersion,
        params: dict[str, str],
        body: list[Any],
        notes: list[str],
    ) -> tuple[list[Any], bool]:
        """Make sure a list of exactly k x 250 records was not cut at a default page size; also
        says whether paging broke off, leaving the population possibly incomplete.

        The PAT list declares no paging, but ISC collections default to ``limit=250``
        (docs/vendors/sailpoint.md §5.1, §8.1); a silently truncated population would be the worst
        kind of false pass. So ask for the records after the ones we have: an empty answer or the
        same records again (the server ignores ``offset``) confirm the list was whole.
        """
        body = list(body)  # extended in place: copying it per page was quadratic
        seen = {key for r in body if (key := _record_id(r)) is not None}
        guard = client.page_guard(f"GET {version.pat_path}")
        first = len(body)
        while True:
            offset = len(body)
            try:
                guard.next_page(str(offset), records=offset)
            except PaginationError as exc:  # the ceiling: what was read is valid, the rest unknown
                notes.append(
                    f"partial population: paging the PAT list stopped ({exc.message}); "
                    f"{offset} records were collected and more may exist"
                )
                return body, True
            try:
                page = await client.get_json(
                    version.pat_path, params={**params, "limit": STANDARD_PAGE, "offset": offset}
                )
            except ClientRequestError as exc:
                if exc.status_code != 400:
                    raise
                if offset != first:
                    # it accepted limit/offset for an earlier page, so it does page: a 400 now
                    # leaves the rest unknown, never "whole"
                    notes.append(
                        f"partial population: the PAT list paged at {STANDARD_PAGE}, then "
                        f"refused the page at offset {offset} (HTTP 400); {offset} PATs were "
                        "collected and more may exist"
                    )
                    return body, True
                # ISC answers 400 to query input an operation does not support (standard
                # collection parameters doc): a list that refuses limit/offset cannot page them
                notes.append(
                    f"{offset} PATs is a multiple of SailPoint's default page size "
                    f"({STANDARD_PAGE}); asking for more at offset {offset} was refused as a bad "
                    "request (HTTP 400: the list takes no limit/offset), so it does not page: "
                    "the list is whole"
                )
                return body, False
            self._check_array(page, version)
            # new: a record with an id not seen yet; a record without a usable id is kept (it
            # becomes a record error) but never counts as progress, so junk cannot page forever
            new_ids = {key for r in page if (key := _record_id(r)) is not None} - seen
            fresh = [r for r in page if _record_id(r) is None or _record_id(r) in new_ids]
            body.extend(fresh)
            seen |= new_ids
            if not new_ids and fresh:  # only records no id identifies: nothing shows progress
                notes.append(
                    f"partial population: the PAT list page at offset {offset} held only "
                    "records without a usable id; paging stopped there"
                )
                return body, True
            if not new_ids and offset == first:
                notes.append(
                    f"{offset} PATs is a multiple of SailPoint's default page size "
                    f"({STANDARD_PAGE}); asked for more at offset {offset} and got none: the "
                    "list is whole"
                )
                return body, False
            if not new_ids or len(page) < STANDARD_PAGE:
                notes.append(
                    f"the server paged the PAT list at {STANDARD_PAGE}; every page was "
                    f"collected ({len(body)} records)"
                )
                return body, False

    def _normalise(self, items: list[Any]) -> tuple[list[Credential], list[RecordError]]:
        credentials: list[Credential] = []
        errors: list[RecordError] = []
        seen: set[str] = set()
        for index, raw in enumerate(items):
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
            credentials.append(credential)
        return credentials, errors


def _record_id(record: Any) -> str | None:
    """A record's ``id`` when it is a string (anything else identifies nothing)."""
    value = record.get("id") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


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
    )
    notes = credential.notes + ((facts.note,) if facts.note else ())
    update: dict[str, object] = {"owner": owner, "notes": notes}
    if credential.scope_mode == "scoped":
        update["unusable_scopes"] = unusable(credential.scopes, roles)
    return credential.model_copy(update=update)
