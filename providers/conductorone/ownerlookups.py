"""Owner lookups during one ConductorOne collection (the ``_Run`` of
``providers.conductorone.adapter``): the owners' user ids, gathered while the personal client
search pages, are looked up in batches of up to 100 ``refs`` with ``POST /api/v1/search/users``,
started as soon as a batch is full so they overlap the search (never one request per owner). A
refused or failed batch leaves its owners unresolved and is counted for a coverage note.

``_OwnerLookups`` is a mixin of ``_Run``; ``providers.conductorone.adapter`` re-exports
``USERS_SEARCH_PATH`` and ``USER_STATUSES``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from auditor.kernel.coveragenotes import CoverageNote, split_request_id
from auditor.kernel.errors import PermissionDeniedError, ProviderError
from auditor.kernel.http import ApiClient, Phase
from providers.conductorone.normalise import read_page
from providers.conductorone.owners import owner_unknown, users_of

if TYPE_CHECKING:
    from providers.conductorone.adapter import ConductorOneProvider

__all__ = ["USERS_SEARCH_PATH", "USER_STATUSES", "_OwnerLookups"]

USERS_SEARCH_PATH = "/api/v1/search/users"  # body c1.api.user.v1.SearchUsersRequest (§2.6)
# docs/vendors/conductorone.md §2.6: unknown whether DELETED users come back unless asked for; ask
# for all.
USER_STATUSES = ("ENABLED", "DISABLED", "DELETED")  # SearchUsersRequest.userStatuses


class _OwnerLookups:
    """The owner batches of ``_Run`` (which sets these attributes in its ``__init__``)."""

    provider: ConductorOneProvider
    api: ApiClient
    tenant: str
    users: list[dict[str, Any]]
    unresolved: dict[str, str]
    owner_failures: list[CoverageNote]
    _pending: list[str]
    _tasks: list[asyncio.Task[None]]
    _slots: asyncio.Semaphore
    _requested: set[str]
    _owner_phase: Phase | None
    _users_arrived: Callable[[], None]  # providers.conductorone.early

    def _flush_owners(self, *, full_only: bool = False) -> None:
        """Start lookups for the pending ids; mid-search only full batches (so ⌈U/100⌉ in all)."""
        size = self.provider.owner_batch_size
        if self._owner_phase is None and len(self._pending) >= (size if full_only else 1):
            self._owner_phase = self.api.phase("owner lookups", unit="owners")
        if self._owner_phase is not None and self._owner_phase.total != len(self._requested):
            self._owner_phase.expect(len(self._requested))  # grows while the search pages
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
                why = f"owner lookup {reason} ({detail})"
                self.owner_failures.append(owner_unknown(f"owner-lookup-{reason}", why, len(ids)))
                self.unresolved.update(dict.fromkeys(ids, split_request_id(why)[0]))
                return
            finally:
                if self._owner_phase is not None:
                    self._owner_phase.advance(len(ids))
        self.users.extend(found)
        self._users_arrived()  # providers.conductorone.early
