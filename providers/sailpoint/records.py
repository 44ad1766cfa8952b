"""One PAT list item (any API version) → ``Credential``, or a per-record problem.

Vendor data is untrusted (docs/architecture.md non-negotiables): every field is type-checked, a
record that breaks the schema becomes a ``RecordProblem`` (reported in coverage), never a crash.
Fields the schema requires (``id, name, scope, owner, created``; GetPersonalAccessTokenResponse
``required``) must be present; every other field may be absent on old records
(docs/vendors/sailpoint.md §2.6).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from auditor.kernel.model import Capabilities, Credential, Owner, ScopeMode
from auditor.kernel.timestamps import TimestampError, parse_timestamp

LAST_USED_SINCE = datetime(2023, 2, 2, tzinfo=UTC)
"""When ISC began recording ``lastUsed``: the field entered GetPersonalAccessTokenResponse on
2023-02-02 (github.com/sailpoint-oss/api-specs, idn/v3/schemas/GetPersonalAccessTokenResponse.yaml,
commit 32f00354). A PAT created before then with ``lastUsed: null`` has not been used since that
day, but may have been before it: idle for years, not "never used"."""

# No source-IP restriction exists for PATs (no such field in GetPersonalAccessTokenResponse, any
# version); lastUsed "does not get updated on every PAT usage, but only once a day" (its schema
# description); recorded only since LAST_USED_SINCE.
CAPABILITIES = Capabilities(
    network_restriction=False,
    expiry=True,
    last_used=True,
    last_used_granularity_seconds=86400,
    last_used_since=LAST_USED_SINCE,
)
ALL_SCOPES = "sp:scopes:all"


class RecordProblem(ValueError):
    """A list item that does not match the documented schema."""

    def __init__(self, message: str, record_id: str | None = None) -> None:
        super().__init__(message)
        self.record_id = record_id


def scope_mode(scope: list[str] | None) -> tuple[ScopeMode, tuple[str, ...]]:
    """How much of its owner's access a PAT carries, and a note when that needs explaining.

    ``null`` (the default a PAT is created with) and any list containing ``sp:scopes:all`` grant
    every right of the owner's user level; "any additional scope is ignored"
    (docs/vendors/sailpoint.md §3). An empty list is undocumented, so we say we do not know.
    """
    if scope is None:
        return "full", ("scope is null: the token holds sp:scopes:all, every right of its owner",)
    if ALL_SCOPES in scope:
        return "full", ()
    if not scope:
        return "unknown", ("scope is an empty list, which SailPoint does not document",)
    return "scoped", ()


def _timestamp(raw: dict[str, Any], key: str, pat_id: str, *, required: bool) -> datetime | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        kind = "missing" if value is None else f"a {type(value).__name__}, not a string"
        raise RecordProblem(f"{key} is {kind}", pat_id)
    try:
        parsed = parse_timestamp(value)
    except TimestampError as exc:
        raise RecordProblem(f"{key}: {exc}", pat_id) from None
    if parsed is None and required:
        raise RecordProblem(f"{key} is empty", pat_id)
    return parsed


def _optional(raw: dict[str, Any], key: str, kind: type, pat_id: str) -> Any:
    value = raw.get(key)
    if value is None:
        return None
    # bool is an int subclass: a boolean TTL is as wrong as a string one
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RecordProblem(f"{key} is a {type(value).__name__}, not {kind.__name__}", pat_id)
    return value


def parse_pat(raw: Any, *, tenant: str) -> Credential:
    """Normalise one list item; the owner's status is filled in later by owner resolution."""
    if not isinstance(raw, dict):
        raise RecordProblem(f"the list item is a {type(raw).__name__}, not an object")
    pat_id = raw.get("id")
    if not isinstance(pat_id, str) or not pat_id.strip():
        raise RecordProblem("id is missing or not a non-empty string")
    name = raw.get("name")
    if not isinstance(name, str):
        raise RecordProblem("name is missing or not a string", pat_id)
    if "scope" not in raw:
        raise RecordProblem("scope is missing (the schema requires it, null allowed)", pat_id)
    scope = raw["scope"]
    if scope is not None and (
        not isinstance(scope, list) or not all(isinstance(s, str) for s in scope)
    ):
        raise RecordProblem("scope is neither null nor a list of strings", pat_id)
    owner = raw.get("owner")
    owner_id = owner.get("id") if isinstance(owner, dict) else None
    if not isinstance(owner_id, str) or not owner_id.strip():
        raise RecordProblem("owner.id is missing or not a string", pat_id)
    assert isinstance(owner, dict)
    owner_name = owner.get("name")
    if owner_name is not None and not isinstance(owner_name, str):
        raise RecordProblem("owner.name is not a string", pat_id)
    created = _timestamp(raw, "created", pat_id, required=True)
    last_used = _timestamp(raw, "lastUsed", pat_id, required=False)
    # absent or null expirationDate: the token never expires, in every version (the v2025+ schema
    # text; records from before the field existed have none, docs/vendors/sailpoint.md §2.6)
    expires = _timestamp(raw, "expirationDate", pat_id, required=False)
    managed = _optional(raw, "managed", bool, pat_id)
    ttl = _optional(raw, "accessTokenValiditySeconds", int, pat_id)
    aware = _optional(raw, "userAwareTokenNeverExpires", bool, pat_id)
    mode, notes = scope_mode(scope)
    if expires is None and aware:
        notes += ("the creator acknowledged a never-expiring token (userAwareTokenNeverExpires)",)
    return Credential(
        provider="sailpoint",
        tenant=tenant,
        id=pat_id,
        client_id=pat_id,  # the PAT id is its OAuth client_id (docs/vendors/sailpoint.md §1.1)
        name=name,
        owner=Owner(id=owner_id, name=owner_name, status="unknown"),
        created_at=created,
        last_used_at=last_used,
        expires_at=expires,
        scopes=tuple(dict.fromkeys(scope or ())),
        scope_mode=mode,
        allowed_cidrs=(),
        # GetPersonalAccessTokenResponse: `managed` default false; records older than the field were
        # never managed
        managed=bool(managed),
        access_token_ttl_seconds=ttl,
        capabilities=CAPABILITIES,
        notes=notes,
    )
