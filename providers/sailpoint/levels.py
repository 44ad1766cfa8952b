"""The user level of PAT owners, through ``GET /v3/auth-users/{id}``.

Why: a PAT with full scope (``sp:scopes:all`` or a null scope) holds every right of its owner's user
level (docs/vendors/sailpoint.md §3: "effective rights = the PAT's scopes ∩ the owner's user
level"). The level is not part of the PAT record, so without it ``privileged-access`` can only say
``manual`` for such a PAT. ``AuthUser.capabilities`` is that level (v3 spec
``paths./auth-users/{id}.get``, ``getAuthUser``, security ``sp:auth-user:read``; schema
``AuthUser``: ``capabilities`` "Array of the auth user's capabilities", nullable, items an enum of
``CERT_ADMIN``, ``ORG_ADMIN``, ``HELPDESK``, …). The same field is what an administrator changes to
grant a level (``patchAuthUser``: ``replace /capabilities ["ORG_ADMIN"]``).

Owners of full-scope PATs are looked up, and owners of scoped PATs holding a scope the v3 spec
reserves for administrative levels (``providers.sailpoint.scopes``): the level says whether the PAT
can exercise that scope at all. Other scoped PATs' listed scopes are judged as they are (an upper
bound). There is no list or batch form of this operation, so it costs one
request per owner, within the tenant's rate limit (95 per 10 s by default): about 100 s per 1,000
owners, and it needs the scope ``sp:auth-user:read``. So it is opt-in: ``user_levels: true`` in the
tenant's configuration.

Mapping (documented in the coverage notes and on each credential):

- ``capabilities`` a list of strings → those levels; ``null`` or ``[]`` → ``USER``, the base user
  level. [inference] The schema only says the list is nullable; ``USER`` is the name the v3 spec
  itself gives the base level in ``x-sailpoint-userLevels`` (next to ``ORG_ADMIN``, ``HELPDESK``,
  …), and an administrative level is granted by adding it to ``capabilities``, so an auth user
  without any holds none;
- an answer whose ``id`` is not the identity asked for, or without a ``capabilities`` key, or with
  anything but a list of strings there → unknown for that owner;
- 404 → no level (the identity has no login account): the owner's level stays unknown;
- 403 → the auditing credential may not read levels: no further lookups, one coverage note;
- any other failure (after the client's retries) → unknown for that owner, summarised in a note.

An unknown level is never guessed: the owner's ``roles`` stay empty and ``privileged-access``
stays ``manual`` for that owner's full-scope PATs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from auditor.kernel.coveragenotes import CoverageNote, caveat, info
from auditor.kernel.errors import (
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    ResponseError,
    ResponseFormatError,
    TransportError,
)
from auditor.kernel.http import ApiClient, RateLimit
from providers.sailpoint.owners import MAX_ID_LENGTH, failure_reason
from providers.sailpoint.records import scope_mode
from providers.sailpoint.scopes import admin_only
from providers.sailpoint.versions import AUTH_USERS_PATH

__all__ = ["MAX_ID_LENGTH"]  # shared with the public-identities batches (owners)
BASE_LEVEL = "USER"
"""The level of an auth user without capabilities: the name the v3 spec gives the base level in
``x-sailpoint-userLevels`` (``GET /public-identities``: ``[USER]``, v3 spec
``paths./public-identities.get``; docs/vendors/sailpoint.md §4 "user level USER")."""


@dataclass
class LevelLookup:
    """User levels per owner id (only owners whose level is known), plus coverage notes."""

    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: list[CoverageNote] = field(default_factory=list)


def levels_for(body: Any, owner_id: str | None = None) -> tuple[str, ...] | None:
    """An ``AuthUser`` body's levels; ``None`` when the body does not say (unexpected shape, or
    the ``id`` of another identity than ``owner_id``)."""
    if not isinstance(body, dict) or "capabilities" not in body:
        return None
    answered = body.get("id")
    if owner_id is not None and answered is not None and answered != owner_id:
        return None
    capabilities = body["capabilities"]
    if capabilities is None:
        return (BASE_LEVEL,)
    if not isinstance(capabilities, list) or not all(isinstance(c, str) for c in capabilities):
        return None
    return tuple(dict.fromkeys(capabilities)) or (BASE_LEVEL,)


def auth_user_path(owner_id: str) -> str | None:
    """The request path for ``owner_id``; ``None`` when the id cannot be a path segment.

    Owner ids come from the vendor's records, so they are untrusted: every character but the
    unreserved ones is percent-encoded, and the dot segments ``.`` and ``..`` (which a URL
    resolver would collapse into another path) are refused, as are ids longer than any identity
    id (32 hex characters, docs/vendors/sailpoint.md §2.6) could plausibly be.
    """
    if owner_id in ("", ".", "..") or len(owner_id) > MAX_ID_LENGTH:
        return None
    return f"{AUTH_USERS_PATH}/{quote(owner_id, safe='')}"


async def resolve_levels(
    client: ApiClient,
    owner_ids: Iterable[str],
    *,
    concurrency: int,
    on_step: Callable[[], None] = lambda: None,
) -> LevelLookup:
    """Look up each owner's user level; see the module docstring for what each answer means.
    ``on_step`` is called after each lookup (a long tenant shows progress meanwhile)."""
    lookup = LevelLookup()
    unique = list(dict.fromkeys(owner_ids))
    queue = list(reversed(unique))
    denied: list[PermissionDeniedError] = []
    missing: list[str] = []
    failures: list[str] = []
    # one request per owner, paced by the tenant's rate limit (the phase says when it waits)
    phase = client.phase("user levels", total=len(unique), unit="owners")

    async def worker() -> None:
        while queue and not denied:
            owner_id = queue.pop()
            path = auth_user_path(owner_id)
            if path is None:
                failures.append(f"owner id {owner_id[:40]!r} cannot be a path segment")
                phase.advance()
                continue
            try:
                body = await client.get_json(path)
            except PermissionDeniedError as exc:
                denied.append(exc)
                return
            except NotFoundError:
                missing.append(owner_id)
                continue
            except (ResponseError, TransportError, ResponseFormatError, PaginationError) as exc:
                failures.append(f"{owner_id}: {failure_reason(exc)}")
                continue
            finally:
                phase.advance()
                on_step()
            levels = levels_for(body, owner_id)
            if levels is None:
                failures.append(f"{owner_id}: the answer has no capabilities list for it")
            else:
                lookup.levels[owner_id] = levels

    workers = max(1, min(concurrency, len(queue) or 1))
    with phase:
        await asyncio.gather(*(worker() for _ in range(workers)))
    if denied:
        unknown = len(unique) - len(lookup.levels)
        lookup.notes.append(
            caveat(
                "user-levels-refused",
                f"owner user levels unverified for {_owners(unknown)} of full-scope or "
                f"admin-scoped PATs: {AUTH_USERS_PATH}/{{id}} was refused "
                f"({failure_reason(denied[0])}); give the auditing PAT the scope "
                "sp:auth-user:read (or sp:scopes:all), or turn user_levels off; "
                "privileged-access stays manual for the full-scope PATs and counts every "
                "listed scope of the others as granted",
                count=unknown,
            )
        )
    if missing:
        lookup.notes.append(
            caveat(
                "user-levels-missing",
                f"{_owners(len(missing))} of full-scope or admin-scoped PATs without an auth "
                f"user ({AUTH_USERS_PATH}/{{id}} answered 404): user level unknown",
                count=len(missing),
            )
        )
    if failures:
        lookup.notes.append(
            caveat(
                "user-levels-failed",
                f"owner user level unverified for {_owners(len(failures))} after failed lookups: "
                + "; ".join(failures[:5])
                + (" …" if len(failures) > 5 else ""),
                count=len(failures),
            )
        )
    if lookup.levels:
        lookup.notes.append(
            info(
                "user-levels-read",
                f"user levels of {_owners(len(lookup.levels))} of full-scope or admin-scoped "
                f"PATs read from {AUTH_USERS_PATH}/{{id}} (capabilities; none = {BASE_LEVEL})",
                count=len(lookup.levels),
            )
        )
    return lookup


def owners_to_look_up(pats: Iterable[tuple[str, list[str] | None]]) -> int:
    """How many owners ``user_levels: true`` looks up at most, from (owner id, scope) pairs: the
    distinct owners of full-scope PATs and of PATs holding a scope only administrative levels
    may use (an owner the tenant does not know is skipped at scan time: an upper bound)."""
    return len(
        {
            owner
            for owner, scope in pats
            if owner and (scope_mode(scope)[0] == "full" or any(map(admin_only, scope or ())))
        }
    )


def lookup_seconds(owners: int, limit: RateLimit) -> float:
    """The least time ``owners`` level lookups take under ``limit`` (one request each, every
    window full): what the sandbox says ``user_levels: true`` costs."""
    return (owners - 1) // limit.requests * limit.per_seconds if owners > 0 else 0.0


def _owners(count: int) -> str:
    return f"{count} owner" if count == 1 else f"{count} owners"
