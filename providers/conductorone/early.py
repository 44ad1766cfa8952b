"""Personal clients normalised while the search still pages (the ``_Run`` of
``providers.conductorone.adapter``).

A personal client can be made into a ``Credential`` once its owner is known, with the role
catalogue and the tenant's allow lists (``providers.conductorone.normalise.to_credential``).
Owners arrive in batches while the search pages (``providers.conductorone.ownerlookups``), so
instead of normalising the whole population after the last page (at 20,000 per tenant about a
second of CPU with every request already answered), each owner batch that arrives puts its
owners into the owner table and the clients already read that they own are made in a worker
thread, during the round trips the search waits on anyway. What is left for the end is the
clients of the last batch, and of owners that were not found or not looked up.

The end result is exactly the one normalising everything at the end gives
(``providers.conductorone.assembly._Assembly._inventory`` takes a credential made early only
when its owner, owner notes and owner role ids are still the very ones it was made with; else
it makes it again): the same credentials, record errors and notes, in the same order.

Each credential made early is also searched for the scan's secrets there (``_clean_at``); when
every credential returned was found clean at the secrets' current generation, the provider
vouches for them (``auditor.kernel.withhold.Vouched``) and the engine searches only the coverage.

``_Early`` is a mixin of ``_Run``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from auditor.kernel.coveragenotes import CoverageNote
from auditor.kernel.http import ApiClient
from auditor.kernel.model import Credential, Owner
from auditor.kernel.sharing import Sharing
from auditor.kernel.withhold import clean_each
from providers.conductorone.allowlists import TenantAllowLists
from providers.conductorone.normalise import BadRecord, Parsed, read_str_list, to_credential
from providers.conductorone.owners import (
    DEFAULT_LEFT_EMPLOYMENT,
    OwnerTable,
    owner_from_user,
    owner_unknown,
)
from providers.conductorone.privilege import Catalogue

if TYPE_CHECKING:
    from providers.conductorone.adapter import ConductorOneProvider

__all__ = ["Made", "_Early"]


@dataclass(frozen=True)
class Made:
    """A client made early, and the owner facts it was made with."""

    result: Credential | BadRecord | ValidationError
    owner: Owner
    notes: tuple[str, ...]
    role_ids: tuple[str, ...] | None
    clean_at: int | None = None
    """The secrets' generation the credential was found ``clean`` at (``None``: it was not)."""

    def still_valid(self, owners: OwnerTable, user_id: str) -> bool:
        """Whether the owner table still gives what this was made with."""
        return (
            owners.found.get(user_id) is self.owner
            and owners.notes.get(user_id, ()) == self.notes
            and owners.role_ids.get(user_id) == self.role_ids
        )


class _Early:
    """The early normalising of ``_Run`` (which calls ``_early_init`` in its ``__init__``)."""

    provider: ConductorOneProvider
    api: ApiClient
    tenant: str
    roles: dict[str, str]
    catalogue: Catalogue
    allow_lists: TenantAllowLists
    users: list[dict[str, Any]]
    unresolved: dict[str, str]
    owner_failures: list[CoverageNote]

    def _early_init(self) -> None:
        self.owners = OwnerTable(unresolved=self.unresolved)
        self.sharing = Sharing()  # equal parts shared as each credential is made
        self.provider.sharing = self.sharing  # the engine's pass goes through it too
        self.made: dict[int, Made] = {}
        self._early_items: list[Any] | None = None
        self._tenantwide = False  # roles and allow lists read (whether or not readable)
        self._taken = 0  # users put into the owner table
        self._unreadable_owners: list[tuple[str, str]] = []
        self._waiting: dict[str, list[int]] = {}
        self._ready: list[int] = []
        self._job: asyncio.Task[None] | None = None

    def _early_note(self, items: list[Any], index: int) -> None:
        """Client ``index`` of the search was read: ready now if its owner is known."""
        if self._early_items is None:
            self._early_items = items
        if items is not self._early_items:
            return  # not the search (the own-clients fallback): all made at the end
        parsed = items[index]
        if not isinstance(parsed, Parsed) or parsed.deleted or parsed.user_id is None:
            return
        if parsed.user_id in self.owners.found:
            self._ready.append(index)
            self._kick()
        else:
            self._waiting.setdefault(parsed.user_id, []).append(index)

    def _tenantwide_read(self, done: asyncio.Future[Any]) -> None:
        """``done``: the role catalogue and allow-list reads; when both ended (they note their own
        failures), owners can be put in the table. Failed otherwise: the collection fails."""
        if done.cancelled() or done.exception() is not None:
            return
        self._tenantwide = True
        self._users_arrived()

    def _users_arrived(self) -> None:
        """On the event loop, after an owner batch: its users into the owner table, and the
        clients waiting for them made in the worker thread."""
        if not self._tenantwide:
            return
        for user in self._take_users():
            for index in self._waiting.pop(user, ()):
                self._ready.append(index)
        self._kick()

    def _take_users(self) -> list[str]:
        """The users not yet in the owner table put in it, in arrival order; their ids."""
        left = self.provider.options.inactive_employment_statuses
        left = DEFAULT_LEFT_EMPLOYMENT if left is None else left
        taken = []
        for user in self.users[self._taken :]:
            try:
                owner, notes = owner_from_user(user, self.roles, left)
                self.owners.role_ids[user["id"]] = tuple(read_str_list(user, "roleIds"))
            except BadRecord as exc:
                self._unreadable_owners.append((user["id"], f"owner record unreadable ({exc})"))
                continue
            self.owners.found[user["id"]] = owner
            self.owners.notes[user["id"]] = tuple(notes)
            taken.append(user["id"])
        self._taken = len(self.users)
        return taken

    def _finish_owners(self) -> OwnerTable:
        """The owner table once every batch is in (what ``_inventory`` normalises with)."""
        self._take_users()
        for user_id, why in self._unreadable_owners:
            self.owners.unresolved[user_id] = why
            self.owner_failures.append(owner_unknown("owner-record-unreadable", why, 1))
        self._unreadable_owners = []
        return self.owners

    def _kick(self) -> None:
        if self._ready and self._job is None:
            self._job = asyncio.create_task(self._run_ready())

    async def _run_ready(self) -> None:
        try:
            while self._ready:
                ready, self._ready = self._ready, []
                await asyncio.to_thread(self._make, ready)
        finally:
            self._job = None

    async def _early_done(self) -> None:
        """Wait for the clients being made (before ``_inventory``, which shares their pool)."""
        while self._job is not None:
            await self._job

    def _let_go(self) -> None:
        """Once the inventory is made: the records, users and early results go."""
        self.made = {}
        self._early_items = None
        self._waiting, self._ready = {}, []
        self.users.clear()

    def _early_cancel(self) -> list[asyncio.Task[None]]:
        return [self._job] if self._job is not None else []

    def _make(self, indices: list[int]) -> None:
        """In a worker thread: clients ``indices`` made with the owner table as it is now."""
        assert self._early_items is not None
        made: list[tuple[int, Credential | BadRecord | ValidationError, Any, Any, Any]] = []
        for index in indices:
            parsed: Parsed = self._early_items[index]
            user_id = parsed.user_id or ""
            owner, notes = self.owners.owner(user_id)
            role_ids = self.owners.role_ids.get(user_id)
            result: Credential | BadRecord | ValidationError
            try:
                result = to_credential(
                    parsed,
                    tenant=self.tenant,
                    roles=self.roles,
                    owners=self.owners,
                    catalogue=self.catalogue,
                    allow_lists=self.allow_lists,
                )
            except (BadRecord, ValidationError) as exc:
                result = exc
            else:
                self.sharing.share(result)
            made.append((index, result, owner, notes, role_ids))
        credentials = [result for _, result, *_ in made if isinstance(result, Credential)]
        found = iter(self._clean_at(credentials))
        for index, result, owner, notes, role_ids in made:
            clean_at = next(found) if isinstance(result, Credential) else None
            self.made[index] = Made(result, owner, notes, role_ids, clean_at)

    def _clean_at(self, credentials: list[Credential]) -> list[int | None]:
        """The secrets' generation each of ``credentials`` is ``clean`` at, or ``None``:
        searched here, in the worker thread, so that the engine need not search the whole
        population again once the last page is in (``auditor.kernel.withhold.Vouched``); as
        one text first (``clean_each``)."""
        secrets = self.api.secrets
        generation = secrets.generation
        return [generation if ok else None for ok in clean_each(credentials, secrets)]
