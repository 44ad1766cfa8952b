"""Listing a SailPoint tenant's PATs: one ``GET …/personal-access-tokens`` for the whole tenant,
``owner-id=me`` when that is refused (coverage ``partial``), and, when the list holds exactly
k x 250 records, a probe for further pages so a list cut at ISC's default page size is never taken
for the whole population. ``SailPointProvider._list``, ``_check_array`` and
``_probe_further_pages`` delegate here (``providers.sailpoint.adapter`` re-exports these names).
"""

from __future__ import annotations

import asyncio
from typing import Any

from auditor.kernel.coveragenotes import CoverageNote, cause, info
from auditor.kernel.errors import (
    ClientRequestError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    ResponseFormatError,
)
from auditor.kernel.http import ApiClient
from providers.sailpoint.versions import ApiVersion

__all__ = ["STANDARD_PAGE", "_record_id", "check_array", "list_pats", "probe_further_pages"]

STANDARD_PAGE = 250
"""ISC's default and maximum ``limit`` for collections (docs/vendors/sailpoint.md §5.1)."""


async def list_pats(
    client: ApiClient, version: ApiVersion, *, tenant: str
) -> tuple[list[Any], list[CoverageNote], bool]:
    """The PAT list, coverage notes, and whether only the caller's own PATs were listed."""
    notes = [info("api-version", f"api version {version.name} ({version.pat_path})")]
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
        notes.append(
            cause(
                "list-refused",
                "Listing the whole tenant was refused (HTTP 403"
                f"{reason}); only the auditing credential's own PATs (owner-id=me) were "
                "collected",
                advice="give the PAT's owner the right idn:all-personal-access-tokens:read and "
                "the PAT the scope sp:all-personal-access-tokens:read (or sp:scopes:all)",
            )
        )
    check_array(body, version, tenant=tenant)
    if body and len(body) % STANDARD_PAGE == 0:
        params = {"owner-id": "me"} if partial else {}
        body, cut = await probe_further_pages(client, version, params, body, notes, tenant=tenant)
        partial = partial or cut
    return body, notes, partial


def check_array(body: Any, version: ApiVersion, *, tenant: str) -> None:
    """Raise ``ResponseFormatError`` unless the PAT list (or a page of it) is a JSON array."""
    if not isinstance(body, list):
        raise ResponseFormatError(
            f"GET {version.pat_path} returned a {type(body).__name__}, not a JSON array",
            tenant=tenant,
        )


async def probe_further_pages(
    client: ApiClient,
    version: ApiVersion,
    params: dict[str, str],
    body: list[Any],
    notes: list[CoverageNote],
    *,
    tenant: str,
) -> tuple[list[Any], bool]:
    """Make sure a list of exactly k x 250 records was not cut at a default page size; also
    says whether paging broke off, leaving the population possibly incomplete.

    The PAT list declares no paging, but ISC collections default to ``limit=250``
    (docs/vendors/sailpoint.md §5.1, §8.1); a silently truncated population would be the worst
    kind of false pass. So ask for the records after the ones we have: an empty answer or the
    same records again (the server ignores ``offset``) confirm the list was whole.
    """
    body = list(body)  # extended in place: copying it per page was quadratic
    # a whole tenant's records (20k: tens of ms) gone through in a worker thread, so that the
    # other tenants' request chains on the event loop go on meanwhile
    seen = await asyncio.to_thread(_ids, body)
    guard = client.page_guard(f"GET {version.pat_path}")
    first = len(body)
    while True:
        offset = len(body)
        try:
            guard.next_page(str(offset), records=offset)
        except PaginationError as exc:  # the ceiling: what was read is valid, the rest unknown
            notes.append(
                cause(
                    "paging-stopped",
                    f"partial population: paging the PAT list stopped ({exc.message}); "
                    f"{offset} records were collected and more may exist",
                )
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
                    cause(
                        "paging-stopped",
                        f"partial population: the PAT list paged at {STANDARD_PAGE}, then "
                        f"refused the page at offset {offset} (HTTP 400); {offset} PATs were "
                        "collected and more may exist",
                    )
                )
                return body, True
            # ISC answers 400 to query input an operation does not support (standard
            # collection parameters doc): a list that refuses limit/offset cannot page them
            notes.append(
                info(
                    "list-whole",
                    f"{offset} PATs is a multiple of SailPoint's default page size "
                    f"({STANDARD_PAGE}); asking for more at offset {offset} was refused as a bad "
                    "request (HTTP 400: the list takes no limit/offset), so it does not page: "
                    "the list is whole",
                )
            )
            return body, False
        check_array(page, version, tenant=tenant)
        # new: a record with an id not seen yet; a record without a usable id is kept (it
        # becomes a record error) but never counts as progress, so junk cannot page forever
        new_ids, fresh = await asyncio.to_thread(_new_records, page, seen)
        body.extend(fresh)
        seen |= new_ids
        if not new_ids and fresh:  # only records no id identifies: nothing shows progress
            notes.append(
                cause(
                    "paging-stopped",
                    f"partial population: the PAT list page at offset {offset} held only "
                    "records without a usable id; paging stopped there",
                )
            )
            return body, True
        if not new_ids and offset == first:
            notes.append(
                info(
                    "list-whole",
                    f"{offset} PATs is a multiple of SailPoint's default page size "
                    f"({STANDARD_PAGE}); asked for more at offset {offset} and got none: the "
                    "list is whole",
                )
            )
            return body, False
        if not new_ids or len(page) < STANDARD_PAGE:
            notes.append(
                info(
                    "list-whole",
                    f"the server paged the PAT list at {STANDARD_PAGE}; every page was "
                    f"collected ({len(body)} records)",
                )
            )
            return body, False


def _ids(records: list[Any]) -> set[str]:
    return {key for r in records if (key := _record_id(r)) is not None}


def _new_records(page: list[Any], seen: set[str]) -> tuple[set[str], list[Any]]:
    """The ids of ``page`` not in ``seen``, and its records that carry one or carry none."""
    new_ids = _ids(page) - seen
    return new_ids, [r for r in page if (key := _record_id(r)) is None or key in new_ids]


def _record_id(record: Any) -> str | None:
    """A record's ``id`` when it is a string (anything else identifies nothing)."""
    value = record.get("id") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None
