"""Owner status and email for PAT owners, in batches, through ``/v3/public-identities``.

Why this endpoint: it needs only ``sp:scopes:default`` and user level USER (v3 spec
``paths./public-identities.get``: ``security: userAuth: [sp:scopes:default]``,
``x-sailpoint-userLevels: [USER]``), so the auditing PAT needs no identity-admin right (least
privilege), and it returns both status signals and ``email``. The search API (``POST /v3/search``,
index ``identities``: ``disabled``, ``inactive``, ``attributes.cloudLifecycleState``) was
considered as the batched alternative and not chosen: it needs the scope ``sp:search:read`` *and*
an administrative user level (v3 spec ``paths./search.post``: ``x-sailpoint-userLevels``
ORG_ADMIN, CERT_ADMIN, REPORT_ADMIN, SOURCE_ADMIN, …), while public identities already batch 100
owners per request and carry the lifecycle state (``PublicIdentity.status``). Asking a read-only
auditor for an admin level to read the same two facts would be the worse trade.

Status comes from two fields that disagree on real tenants (v3 spec
``components.schemas.PublicIdentity``):

- ``status``: "The lifecycle status for the identity", the tenant's own lifecycle state names
  ("Active", "Terminated", or custom ones);
- ``identityState``: ``ACTIVE | INACTIVE_SHORT_TERM | INACTIVE_LONG_TERM | null``. It stays
  ``ACTIVE`` wherever a lifecycle state has no identity state configured: the lifecycle state's own
  ``identityState`` "is generally 'null'" (``components.schemas.LifecycleState.identityState``).
  So ``identityState: ACTIVE`` beside lifecycle ``Terminated`` is a departed owner.

``owner_status`` decides from both: an inactive identity state, or a lifecycle state in the
tenant's inactive list, is ``disabled``; a lifecycle state in the active list (with an active or
null identity state) is ``active``; a lifecycle state in neither list is ``unknown`` (the owner
rules are ``manual``, never ``pass``) and the coverage note names it and the key to set. Only an
identity with no lifecycle state at all falls back to ``identityState`` alone.

Batches: ``filters=id in ("a","b",…)`` (id supports eq/in: v3 spec ``paths./public-identities.get``,
``filters``). A 32-hex id costs about 41 URL characters once its quotes and comma are
percent-encoded, so 100 ids make a query of about 4.2 kB: well under the 8 kB request-line limit of
common proxies and gateways (nginx, Apache), while 100 ≤ the page size limit of 250 keeps each batch
to one page. Longer ids are batched by encoded length (``MAX_FILTER_CHARS``) instead. Each batch is
still paged with ``limit``/``offset`` until a short page, in case the server returns more than
asked.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote as url_quote

from auditor.kernel.coveragenotes import CoverageNote, caveat, split_request_id
from auditor.kernel.errors import (
    PaginationError,
    PermissionDeniedError,
    ProviderError,
    ResponseError,
    ResponseFormatError,
    TransportError,
)
from auditor.kernel.http import ApiClient
from auditor.kernel.model import OwnerStatus
from providers.sailpoint.filters import quote
from providers.sailpoint.versions import PUBLIC_IDENTITIES_PATH

BATCH_SIZE = 100
MAX_ID_LENGTH = 256
"""Longer than any identity id could plausibly be (32 hex characters, docs/vendors/sailpoint.md
§2.6): such an owner id is vendor data no lookup URL should carry; its owner stays unknown, not
looked up."""
MAX_FILTER_CHARS = 4500
PAGE_LIMIT = 250  # v3 spec components.parameters.limit: maximum 250

# v3 spec components.schemas.PublicIdentity.identityState
STATE_STATUS: dict[str, OwnerStatus] = {
    "ACTIVE": "active",
    "INACTIVE_SHORT_TERM": "disabled",
    "INACTIVE_LONG_TERM": "disabled",
}
DEFAULT_ACTIVE_STATES = ("active",)
"""ISC's default lifecycle states are "active" and "inactive"; tenants add their own."""
DEFAULT_INACTIVE_STATES = ("inactive", "terminated", "disabled")
STATES_KEY = "lifecycle_states"
_SHOWN = 64  # characters of a vendor's lifecycle state name shown in a note


@dataclass(frozen=True)
class LifecycleStates:
    """The tenant's lifecycle state names, case-folded (``lifecycle_states`` in the config)."""

    active: frozenset[str] = frozenset(DEFAULT_ACTIVE_STATES)
    inactive: frozenset[str] = frozenset(DEFAULT_INACTIVE_STATES)

    @classmethod
    def of(cls, active: Iterable[str] | None, inactive: Iterable[str] | None) -> LifecycleStates:
        return cls(
            frozenset(s.strip().casefold() for s in (active or DEFAULT_ACTIVE_STATES)),
            frozenset(s.strip().casefold() for s in (inactive or DEFAULT_INACTIVE_STATES)),
        )


@dataclass(frozen=True)
class OwnerFacts:
    status: OwnerStatus
    email: str | None = None
    name: str | None = None
    note: str | None = None
    unrecognised_state: str | None = None
    """A lifecycle state in neither list (the reason the status is ``unknown``)."""


@dataclass
class OwnerLookup:
    """What owner resolution found: facts per owner id, plus coverage notes."""

    facts: dict[str, OwnerFacts] = field(default_factory=dict)
    notes: list[CoverageNote] = field(default_factory=list)


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


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")


def facts_for(identity: dict[str, Any], states: LifecycleStates | None = None) -> OwnerFacts:
    """Map one PublicIdentity to owner facts (see the module docstring for the decision)."""
    states = states or LifecycleStates()
    state = identity.get("identityState")
    email = identity.get("email") if isinstance(identity.get("email"), str) else None
    name = identity.get("name") if isinstance(identity.get("name"), str) else None
    by_state = STATE_STATUS.get(state) if isinstance(state, str) else None
    lifecycle = identity.get("status")
    if by_state == "disabled":  # an inactive identity state is never overruled
        return OwnerFacts("disabled", email, name, f"identityState {state}")
    if lifecycle is None or lifecycle == "":
        # no lifecycle state: identityState is the only signal there is
        if by_state is not None:
            return OwnerFacts(by_state, email, name)
        what = "no identityState" if state is None else f"identityState {_shown(state)}"
        return OwnerFacts(
            "unknown",
            email,
            name,
            f"SailPoint returned {what} and no lifecycle state for the owner",
        )
    if not isinstance(lifecycle, str):
        return OwnerFacts(
            "unknown", email, name, f"the owner's lifecycle state {_shown(lifecycle)} is not text"
        )
    key = lifecycle.strip().casefold()
    if key in states.inactive:
        disagree = f" although identityState is {state}" if by_state == "active" else ""
        return OwnerFacts("disabled", email, name, f"lifecycle state {_shown(lifecycle)}{disagree}")
    if key in states.active:
        if by_state == "active" or state is None:
            return OwnerFacts("active", email, name)
        return OwnerFacts(
            "unknown", email, name, f"lifecycle state {_shown(lifecycle)} is active but "
            f"identityState is {_shown(state)}, which the API does not document",
        )  # fmt: skip
    return OwnerFacts(
        "unknown", email, name,
        f"lifecycle state {_shown(lifecycle)} is in neither {STATES_KEY}.active nor "
        f"{STATES_KEY}.inactive, so whether the owner is still active is unknown",
        unrecognised_state=lifecycle.strip()[:_SHOWN],
    )  # fmt: skip


def unrecognised_note(facts: Iterable[OwnerFacts]) -> str | None:
    """One coverage note for every lifecycle state the configuration did not classify."""
    counts = Counter(f.unrecognised_state for f in facts if f.unrecognised_state is not None)
    if not counts:
        return None
    shown = ", ".join(
        f"{_shown(name)} ({n} owner{'s' if n != 1 else ''})" for name, n in counts.most_common(10)
    )
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    return (
        f"owner lifecycle state(s) {shown}{more} are in neither {STATES_KEY}.active nor "
        f"{STATES_KEY}.inactive: those owners' status is unknown, so inactive-owner is manual "
        f"for their PATs; list each state under the tenant's {STATES_KEY}"
    )


async def resolve_owners(
    client: ApiClient,
    owner_ids: Iterable[str],
    *,
    concurrency: int,
    states: LifecycleStates | None = None,
) -> OwnerLookup:
    """Resolve every owner id; failures leave owners ``unknown`` with a coverage note."""
    lookup = OwnerLookup()
    unique = list(dict.fromkeys(owner_ids))
    unusable = [i for i in unique if len(i) > MAX_ID_LENGTH]
    queue = list(reversed(batches(i for i in unique if len(i) <= MAX_ID_LENGTH)))
    denied: list[PermissionDeniedError] = []
    failures: list[str] = []
    phase = client.phase("owner lookups", total=sum(map(len, queue)), unit="owners")

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
            finally:
                phase.advance(len(batch))
            for owner_id in batch:
                identity = found.get(owner_id)
                lookup.facts[owner_id] = (
                    facts_for(identity, states) if identity is not None else OwnerFacts("not_found")
                )

    with phase:
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(queue) or 1)))))
    unresolved = [i for i in unique if i not in lookup.facts and len(i) <= MAX_ID_LENGTH]
    if denied:
        lookup.notes.append(
            caveat(
                "owner-lookup-refused",
                f"owner status unverified: {PUBLIC_IDENTITIES_PATH} was refused "
                f"({failure_reason(denied[0])})",
                count=len(unresolved),
                unit="owner",
                advice="the auditing PAT's owner needs user level USER and the PAT the scope "
                "sp:scopes:default or sp:scopes:all",
            )
        )
    elif failures:
        lookup.notes.append(
            caveat(
                "owner-lookup-failed",
                "owner status unverified after failed identity lookups: " + "; ".join(failures[:5]),
                count=len(unresolved),
            )
        )
    unclassified = unrecognised_note(lookup.facts.values())
    if unclassified:
        lookup.notes.append(caveat("owner-state-unrecognised", unclassified))
    for owner_id in unusable:
        note = f"the owner id is too long ({len(owner_id):,} characters) to be an identity id"
        lookup.facts[owner_id] = OwnerFacts("unknown", note=note + "; not looked up")
    if unusable:
        lookup.notes.append(
            caveat(
                "owner-id-unusable",
                f"{len(unusable)} owner id(s) longer than {MAX_ID_LENGTH} characters not looked "
                "up: their owners' status is unknown",
                count=len(unusable),
            )
        )
    why = "the owner lookup failed"
    if denied:  # the request id is in the coverage note; each credential needs only the reason
        why = f"the owner lookup was refused ({split_request_id(failure_reason(denied[0]))[0]})"
    for owner_id in unresolved:
        lookup.facts[owner_id] = OwnerFacts("unknown", note=why)
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
