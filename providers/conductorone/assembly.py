"""The assembly of one ConductorOne collection (the ``_Run`` of
``providers.conductorone.adapter``) into a ``TenantInventory``: owners from the looked-up users,
each personal client normalised (``providers.conductorone.normalise``) with its owner, roles,
effective privilege and allow lists, soft-deleted clients excluded, repeats counted once, and the
coverage notes that say why the population is ``partial`` or an owner unknown.

``_Assembly`` is a mixin of ``_Run``; most clients are made before it runs, while the search
pages (``providers.conductorone.early``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from auditor.kernel.coveragenotes import CoverageNote, cause, caveat, info
from auditor.kernel.model import Credential, RecordError, TenantCoverage, TenantInventory
from auditor.kernel.withhold import Vouched
from providers.conductorone.early import _Early
from providers.conductorone.normalise import (
    BadRecord,
    Parsed,
    parse_client,
    record_error,
    to_credential,
)
from providers.conductorone.owners import OwnerTable, employed_note

__all__ = ["_Assembly"]


class _Assembly(_Early):
    """``_Run._inventory`` (``_Run`` sets these attributes in its ``__init__``); the owner table
    and the clients made early come from ``_Early`` (which declares the rest of ``_Run``'s
    attributes it reads)."""

    notes: list[CoverageNote]
    partial: bool

    @staticmethod
    def parsed(index: int, raw: Any) -> Parsed | RecordError:
        """The ``index``-th record of the listing checked (``parse_client``) as it is read, or why
        it cannot be read: what ``_inventory`` needs of it, so the raw dict need not be kept."""
        try:
            return parse_client(raw)
        except (BadRecord, ValidationError) as exc:
            return record_error(index, raw, exc)

    def _made_now(
        self, parsed: Parsed, owners: OwnerTable
    ) -> Credential | BadRecord | ValidationError:
        try:
            credential = to_credential(
                parsed,
                tenant=self.tenant,
                roles=self.roles,
                owners=owners,
                catalogue=self.catalogue,
                allow_lists=self.allow_lists,
            )
        except (BadRecord, ValidationError) as exc:
            return exc
        self.sharing.share(credential)
        return credential

    def _inventory(self, items: list[Parsed | RecordError], base_url: str) -> TenantInventory:
        owners = self._finish_owners()
        employed = employed_note(self.users, owners.found)
        left = self.provider.options.inactive_employment_statuses
        if employed and (left is None or left):  # [] turns the employmentStatus check off
            self.notes.append(caveat("employment-status", employed))
        # Every credential is still collected and evaluated (its owner rules give `manual`), so
        # the population is complete; the notes (one per reason, batches aggregated) say why
        # owners are unknown.
        self.notes.extend(sorted(self.owner_failures, key=lambda n: (n.kind, n.message)))
        credentials, errors, seen = [], [], set()
        deleted = duplicates = 0
        clean_at: set[int | None] = set()
        made_now: list[Credential] = []  # searched together after the loop (``_clean_at``)
        for index, parsed in enumerate(items):
            if isinstance(parsed, RecordError):
                errors.append(parsed)
                continue
            if parsed.deleted:
                # revoked (docs/vendors/conductorone.md §5): not part of the population
                deleted += 1
                continue
            if parsed.raw_id in seen:
                duplicates += 1
                continue
            made = self.made.get(index)
            early = made is not None and made.still_valid(owners, parsed.user_id or "")
            if made is not None and early:
                result = made.result  # made early, and shared then (providers.conductorone.early)
                checked = made.clean_at
            else:
                result = self._made_now(parsed, owners)
                checked = None
            if not isinstance(result, Credential):
                # parsed: its id is the record's (``parse_client`` read it as it is)
                errors.append(record_error(index, {"id": parsed.raw_id}, result))
                continue
            seen.add(parsed.raw_id)
            credentials.append(result)
            if early:
                clean_at.add(checked)
            else:
                made_now.append(result)
        clean_at.update(self._clean_at(made_now))
        if deleted:
            self.notes.append(
                info(
                    "deleted-excluded",
                    f"{deleted} soft-deleted personal client(s) excluded (deletedAt set)",
                    count=deleted,
                )
            )
        if duplicates:  # a repeated record may stand where another should have been
            self.partial = True
            self.notes.append(
                cause(
                    "duplicates",
                    f"partial population: {duplicates} record(s) listed twice across pages, "
                    "counted once; the repeats may have displaced records that were never listed",
                    count=duplicates,
                )
            )
        if errors:
            self.partial = True
            self.notes.append(
                cause(
                    "records-unreadable",
                    f"{len(errors)} personal client record(s) could not be read",
                    count=len(errors),
                )
            )
        if not self.allow_lists.readable or self.allow_lists.enforced:
            describe = self.allow_lists.describe()
            self.notes.append(
                info("allow-lists", describe)
                if self.allow_lists.readable
                else caveat(
                    # "(refused: …)": the vendor said no (403), anything else: it failed
                    "allow-lists-refused"
                    if "could not be read (refused:" in describe
                    else "allow-lists-unreadable",
                    describe,
                )
            )
        if self.catalogue.readable and self.catalogue.roles and not self.catalogue.has_permissions:
            self.notes.append(
                caveat(
                    "roles-without-permissions",
                    "the role catalogue lists no permissions, so effective privilege cannot be "
                    "bounded: privileged-access is manual where no privileged role is held by id",
                )
            )
        coverage = TenantCoverage(
            tenant=self.tenant,
            provider="conductorone",
            status="partial" if self.partial else "complete",
            base_url=base_url,
            credential_count=len(credentials),
            excluded_deleted=deleted,
            note_details=tuple(self.notes),
            record_errors=tuple(errors),
            requests=self.api.stats.requests,
            retries=self.api.stats.retries,
        )
        inventory = TenantInventory(coverage=coverage, credentials=tuple(credentials))
        generation = self.api.secrets.generation
        if clean_at <= {generation}:  # every credential searched, none touched, nothing added since
            self.provider.vouched = Vouched(inventory.credentials, self.api.secrets, generation)
        return inventory
