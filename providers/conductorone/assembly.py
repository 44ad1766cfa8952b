"""The assembly of one ConductorOne collection (the ``_Run`` of
``providers.conductorone.adapter``) into a ``TenantInventory``: owners from the looked-up users,
each personal client normalised (``providers.conductorone.normalise``) with its owner, roles,
effective privilege and allow lists, soft-deleted clients excluded, repeats counted once, and the
coverage notes that say why the population is ``partial`` or an owner unknown.

``_Assembly`` is a mixin of ``_Run``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from auditor.kernel.coveragenotes import CoverageNote, cause, caveat, info
from auditor.kernel.http import ApiClient
from auditor.kernel.model import RecordError, TenantCoverage, TenantInventory
from auditor.kernel.sharing import Sharing
from providers.conductorone.allowlists import TenantAllowLists
from providers.conductorone.normalise import (
    BadRecord,
    Parsed,
    parse_client,
    read_str_list,
    record_error,
    to_credential,
)
from providers.conductorone.owners import (
    DEFAULT_LEFT_EMPLOYMENT,
    OwnerTable,
    employed_note,
    owner_from_user,
    owner_unknown,
)
from providers.conductorone.privilege import Catalogue

if TYPE_CHECKING:
    from providers.conductorone.adapter import ConductorOneProvider

__all__ = ["_Assembly"]


class _Assembly:
    """``_Run._inventory`` (``_Run`` sets these attributes in its ``__init__``)."""

    provider: ConductorOneProvider
    api: ApiClient
    tenant: str
    notes: list[CoverageNote]
    partial: bool
    roles: dict[str, str]
    catalogue: Catalogue
    allow_lists: TenantAllowLists
    users: list[dict[str, Any]]
    unresolved: dict[str, str]
    owner_failures: list[CoverageNote]

    @staticmethod
    def parsed(index: int, raw: Any) -> Parsed | RecordError:
        """The ``index``-th record of the listing checked (``parse_client``) as it is read, or why
        it cannot be read: what ``_inventory`` needs of it, so the raw dict need not be kept."""
        try:
            return parse_client(raw)
        except (BadRecord, ValidationError) as exc:
            return record_error(index, raw, exc)

    def _inventory(self, items: list[Parsed | RecordError], base_url: str) -> TenantInventory:
        owners = OwnerTable(unresolved=self.unresolved)
        left = self.provider.options.inactive_employment_statuses
        left = DEFAULT_LEFT_EMPLOYMENT if left is None else left
        for user in self.users:
            try:
                owner, notes = owner_from_user(user, self.roles, left)
                owners.role_ids[user["id"]] = tuple(read_str_list(user, "roleIds"))
            except BadRecord as exc:
                owners.unresolved[user["id"]] = f"owner record unreadable ({exc})"
                self.owner_failures.append(
                    owner_unknown("owner-record-unreadable", f"owner record unreadable ({exc})", 1)
                )
                continue
            owners.found[user["id"]] = owner
            owners.notes[user["id"]] = tuple(notes)
        employed = employed_note(self.users, owners.found)
        if employed and left:  # [] turns the employmentStatus check off: nothing to review
            self.notes.append(caveat("employment-status", employed))
        # Every credential is still collected and evaluated (its owner rules give `manual`), so
        # the population is complete; the notes (one per reason, batches aggregated) say why
        # owners are unknown.
        self.notes.extend(sorted(self.owner_failures, key=lambda n: (n.kind, n.message)))
        credentials, errors, seen = [], [], set()
        deleted = duplicates = 0
        sharing = Sharing()  # equal parts shared as each credential is made, not at the end
        for index, parsed in enumerate(items):
            if isinstance(parsed, RecordError):
                errors.append(parsed)
                continue
            try:
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
                # parsed: its id is the record's (``parse_client`` read it as it is)
                errors.append(record_error(index, {"id": parsed.raw_id}, exc))
                continue
            seen.add(parsed.raw_id)
            sharing.share(credential)
            credentials.append(credential)
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
        return TenantInventory(coverage=coverage, credentials=tuple(credentials))
