"""Owner status and email for PAT owners, in batches, through ``/v3/public-identities``.

Why this endpoint: it needs only ``sp:scopes:default`` and user level USER (SPEC
deref-sailpoint-api.v3.yaml L12362-12372), so the auditing PAT needs no identity-admin right
(least privilege), and it returns ``identityState`` and ``email`` (sailpoint.md §4 option A).

Batches: ``filters=id in ("a","b",…)`` (id supports eq/in, SPEC L12378-12395). A 32-hex id costs
about 41 URL characters once its quotes and comma are percent-encoded, so 100 ids make a query of
about 4.2 kB: well under the 8 kB request-line limit of common proxies and gateways (nginx,
Apache), while 100 ≤ the page size limit of 250 keeps each batch to one page. Longer ids are
batched by encoded length (``MAX_FILTER_CHARS``) instead. Each batch is still paged with
``limit``/``offset`` until a short page, in case the server returns more than asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote as url_quote

from auditor.errors import (
    PaginationError,
    PermissionDeniedError,
    ProviderError,
    ResponseError,
    ResponseFormatError,
    TransportError,
)
from auditor.http import ApiClient
from auditor.model import OwnerStatus
from providers.sailpoint.filters import quote
from providers.sailpoint.versions import PUBLIC_IDENTITIES_PATH

BATCH_SIZE = 100
MAX_FILTER_CHARS = 4500
PAGE_LIMIT = 250  # SPEC components.parameters.limit: maximum 250

# SPEC PublicIdentity.identityState: ACTIVE | INACTIVE_SHORT_TERM | INACTIVE_LONG_TERM | null
STATE_STATUS: dict[str, OwnerStatus] = {
    "ACTIVE": "active",
    "INACTIVE_SHORT_TERM": "disabled",
    "INACTIVE_LONG_TERM": "disabled",
}


@dataclass(frozen=True)
class OwnerFacts:
    status: OwnerStatus
    email: str | None = None
    name: str | None = None
    note: str | None = None


@dataclass
class OwnerLookup:
    """What owner resolution found: facts per owner id, plus coverage notes."""

    facts: dict[str, OwnerFacts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def batches(ids: Iterable[str]) -> list[list[str]]:
    """Split ids into ``id in (…)`` batches bounded by count and by encoded filter length."""
    out: list[list[str]] = []
    current: list[str] = []
    size = len(url_quote("id in ()", safe=""))
    for owner_id in ids:
        cost = len(url_quote(quote(owner_id) + ",", safe=""))
        if current and (len(current) >= BATCH_SIZE or size + cost > MAX_FILTER_CHARS):
            out.append(current)
            current, size = [], len(url_quote("id in ()", safe=""))
        current.append(owner_id)
        size += cost
    if current:
        out.append(current)
    return out


def id_filter(ids: Sequence[str]) -> str:
    return "id in (" + ",".join(quote(i) for i in ids) + ")"


def facts_for(identity: dict[str, Any]) -> OwnerFacts:
    """Map one PublicIdentity to owner facts."""
    state = identity.get("identityState")
    email = identity.get("email") if isinstance(identity.get("email"), str) else None
    name = identity.get("name") if isinstance(identity.get("name"), str) else None
    if isinstance(state, str) and state in STATE_STATUS:
        return OwnerFacts(STATE_STATUS[state], email, name)
    lifecycle = identity.get("status")
    detail = f" (lifecycle status {lifecycle!r})" if isinstance(lifecycle, str) else ""
    note = (
        f"SailPoint returned identityState {state!r} for the owner{detail}"
        if state is not None
        else f"SailPoint returned no identityState for the owner{detail}"
    )
    return OwnerFacts("unknown", email, name, note)


async def resolve_owners(
    client: ApiClient, owner_ids: Iterable[str], *, concurrency: int
) -> OwnerLookup:
    """Resolve every owner id; failures leave owners ``unknown`` with a coverage note."""
    lookup = OwnerLookup()
    unique = list(dict.fromkeys(owner_ids))
    queue = list(reversed(batches(unique)))
    denied: list[PermissionDeniedError] = []
    failures: list[str] = []

    async def worker() -> None:
        while queue and not denied:
            batch = queue.pop()
            try:
                found = await _lookup_batch(client, batch)
            except PermissionDeniedError as exc:
                denied.append(exc)
                return
            except (ResponseError, TransportError, ResponseFormatError, PaginationError) as exc:
                failures.append(f"{len(batch)} owners: {failure_reason(exc)}")
                continue
            for owner_id in batch:
                identity = found.get(owner_id)
                lookup.facts[owner_id] = (
                    facts_for(identity) if identity is not None else OwnerFacts("not_found")
                )

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(queue) or 1)))))
    unresolved = [i for i in unique if i not in lookup.facts]
    if denied:
        lookup.notes.append(
            f"owner status unverified for {len(unresolved)} owners: {PUBLIC_IDENTITIES_PATH} "
            f"was refused ({failure_reason(denied[0])}); the auditing PAT's owner needs user level "
            "USER and the PAT the scope sp:scopes:default or sp:scopes:all"
        )
    elif failures:
        lookup.notes.append(
            "owner status unverified after failed identity lookups: " + "; ".join(failures[:5])
        )
    for owner_id in unresolved:
        lookup.facts[owner_id] = OwnerFacts("unknown", note="the owner lookup failed")
    return lookup


async def _lookup_batch(client: ApiClient, batch: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    wanted = set(batch)
    guard = client.page_guard(f"GET {PUBLIC_IDENTITIES_PATH}")
    offset = 0
    while True:
        params = {"filters": id_filter(batch), "limit": PAGE_LIMIT, "offset": offset}
        page = await client.get_json(PUBLIC_IDENTITIES_PATH, params=params)
        if not isinstance(page, list):
            raise ResponseFormatError(
                f"GET {PUBLIC_IDENTITIES_PATH} returned a {type(page).__name__}, not a JSON array",
                tenant=client.tenant,
            )
        for item in page:
            item_id = item.get("id") if isinstance(item, dict) else None
            if isinstance(item_id, str) and item_id in wanted:
                found[item_id] = item
        if len(page) < PAGE_LIMIT:
            return found
        offset += len(page)
        guard.next_page(str(offset))


def failure_reason(exc: ProviderError) -> str:
    """A short reason for a coverage note: the status and the vendor's message, or ours."""
    vendor = exc.vendor_message if isinstance(exc, ResponseError) else None
    if isinstance(exc, ResponseError):
        return f"HTTP {exc.status_code}" + (f": {vendor}" if vendor else "")
    return exc.message
