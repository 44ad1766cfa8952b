"""ConductorOne JSON -> the normalised model: personal clients, owners, error bodies.

Vendor data is untrusted. Every field is optional in the spec and may be absent, ``null`` or empty
with the same meaning (docs/vendors/conductorone.md §2, ``c1.api.iam.v1.PersonalClient``), enums
may grow (``x-speakeasy-unknown-values: allow``), and a record of the wrong shape must become a
per-record error, never a crash and never a silently dropped credential. So each reader here checks
the type it gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from auditor.kernel.errors import ResponseFormatError
from auditor.kernel.model import Capabilities, Credential, RecordError
from auditor.kernel.timestamps import TimestampError, parse_timestamp
from providers.conductorone.allowlists import TenantAllowLists
from providers.conductorone.privilege import Catalogue

if TYPE_CHECKING:  # owners imports this module's readers
    from providers.conductorone.owners import OwnerTable

CAPABILITIES = Capabilities(
    network_restriction=True,  # PersonalClient.allowSourceCidr
    expiry=True,  # PersonalClient.expiresTime
    last_used=True,  # PersonalClient.lastUsedAt, exact instant
    last_used_granularity_seconds=0,
)

# google.rpc.Code names for the numbers ConductorOne returns (docs/vendors/conductorone.md §4).
_RPC_CODES = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    16: "UNAUTHENTICATED",
}


def parse_error(response: httpx.Response) -> str | None:
    """A vendor error body as one line: ``google.rpc.Status`` (openapi.yaml), the token endpoint's
    OAuth2 ``{"error", "error_description"}`` (docs/vendors/conductorone.md §1.3), or raw text (an
    empty 500). The http layer bounds and redacts whatever we return; requests never echo our token
    back."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] or None
    if isinstance(body, dict):
        message, code = body.get("message"), body.get("code")
        if isinstance(message, str) and message.strip():
            if isinstance(code, int) and not isinstance(code, bool):
                return f"{message.strip()} ({_RPC_CODES.get(code, 'code')} {code})"
            return message.strip()
        error, description = body.get("error"), body.get("error_description")
        if isinstance(error, str) and error:
            if isinstance(description, str) and description.strip():
                return f"{error}: {description.strip()}"
            return error
    return None


class BadRecord(ValueError):
    """A vendor record (or one field of it) that does not have the documented shape."""


def _clip(value: object, limit: int = 80, *, quote: bool = True) -> str:
    """Vendor text for a message: ``repr`` (one line, quoted), or the string as it is when
    ``quote`` is off (the caller removed control characters), cut at ``limit``."""
    text = value if isinstance(value, str) and not quote else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def read_str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{key} must be a string, got {type(value).__name__} {_clip(value)}")
    return value


def read_str_list(raw: Mapping[str, Any], key: str) -> list[str]:
    """Absent, ``null`` and ``[]`` all mean "none" (docs/vendors/conductorone.md §2)."""
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRecord(f"{key} must be a list of strings, got {_clip(value)}")
    return [v for v in value if v.strip()]


def read_time(raw: Mapping[str, Any], key: str) -> datetime | None:
    try:
        return parse_timestamp(raw.get(key))
    except TimestampError as exc:
        raise BadRecord(f"{key}: {exc}") from None


@dataclass(frozen=True)
class Parsed:
    """A personal client's own facts, before owners are known."""

    raw_id: str
    user_id: str | None
    fields: dict[str, Any]
    deleted: bool


def parse_client(raw: Any) -> Parsed:
    """Check one ``c1.api.iam.v1.PersonalClient``; raise ``BadRecord`` on a wrong shape."""
    if not isinstance(raw, dict):
        raise BadRecord(f"expected a JSON object, got {type(raw).__name__}")
    record_id = read_str(raw, "id")
    if record_id is None:
        raise BadRecord("the record has no id")
    deleted_at = read_time(raw, "deletedAt")
    networks: list[IPv4Network | IPv6Network] = []
    for text in read_str_list(raw, "allowSourceCidr"):
        try:
            networks.append(ip_network(text.strip(), strict=False))
        except ValueError:
            raise BadRecord(f"allowSourceCidr: {_clip(text)} is not an IP network") from None
    fields = {
        "client_id": read_str(raw, "clientId"),
        "name": read_str(raw, "displayName") or "",
        "created_at": read_time(raw, "createdAt"),
        "updated_at": read_time(raw, "updatedAt"),
        "last_used_at": read_time(raw, "lastUsedAt"),
        "expires_at": read_time(raw, "expiresTime"),
        "deleted_at": deleted_at,
        "scoped_role_ids": read_str_list(raw, "scopedRoles"),
        "allowed_cidrs": tuple(networks),
    }
    return Parsed(record_id, read_str(raw, "userId"), fields, deleted_at is not None)


def to_credential(
    parsed: Parsed,
    *,
    tenant: str,
    roles: Mapping[str, str],
    owners: OwnerTable,
    catalogue: Catalogue | None = None,
    allow_lists: TenantAllowLists | None = None,
) -> Credential:
    fields = dict(parsed.fields)
    scoped: list[str] = fields.pop("scoped_role_ids")
    notes: list[str] = []
    unknown = [r for r in scoped if r not in roles]
    if unknown and roles:
        notes.append(
            f"scoped role ids not in the role catalogue (kept as ids): {', '.join(unknown)}"
        )
    owner, owner_notes = owners.owner(parsed.user_id)
    notes.extend(owner_notes)
    names = set(roles.values())
    # Role ids without a name (the catalogue was unreadable, or lacks them) stay ids; recording
    # them lets privileged-access say "manual" instead of silently passing (names never match).
    unresolved = sorted({*unknown, *(r for r in owner.roles if r not in names)})
    privilege = inherited = None
    if catalogue is not None:
        owner_ids = owners.role_ids.get(parsed.user_id or "")
        privilege = catalogue.effective(scoped, owner_ids)
        if allow_lists is not None:
            own = bool(fields["allowed_cidrs"])
            inherited = allow_lists.inherited(
                privilege, catalogue.effective(None, owner_ids), own=own
            )
            if inherited.state == "enforced" and not own:
                notes.append(
                    f"no allowSourceCidr of its own; restricted by the {inherited.origin}: "
                    + (", ".join(map(str, inherited.cidrs)) or "no address allowed")
                )
    if owner.kind not in (None, "USER_TYPE_HUMAN"):
        notes.append(f"owner's User.type is {owner.kind} (not USER_TYPE_HUMAN)")
    return Credential(
        provider="conductorone",
        tenant=tenant,
        id=parsed.raw_id,
        owner=owner,
        scopes=tuple(roles.get(r, r) for r in scoped),
        scope_mode="scoped" if scoped else "full",  # empty = all of the owner's roles (§5)
        capabilities=CAPABILITIES,
        notes=tuple(notes),
        unresolved_roles=tuple(unresolved),
        privilege=privilege,
        inherited_restriction=inherited,
        **fields,
    )


def record_error(index: int, raw: Any, exc: BadRecord | ValidationError) -> RecordError:
    record_id = raw.get("id") if isinstance(raw, dict) else None
    message = str(exc) if isinstance(exc, BadRecord) else _pydantic_message(exc)
    return RecordError(
        index=index,
        record_id=record_id if isinstance(record_id, str) and record_id else None,
        message=f"personal client could not be read: {message}",
    )


def _pydantic_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}"


def read_page(body: Any, what: str, tenant: str) -> tuple[list[Any], str]:
    """``{"list": [...], "nextPageToken": "..."}``; absent/null list = empty, ""/absent = last."""
    if not isinstance(body, dict):
        raise ResponseFormatError(f"{what}: the response is not a JSON object", tenant=tenant)
    items = body.get("list")
    token = body.get("nextPageToken")
    if items is not None and not isinstance(items, list):
        raise ResponseFormatError(f"{what}: 'list' is not an array", tenant=tenant)
    if token is not None and not isinstance(token, str):
        raise ResponseFormatError(f"{what}: 'nextPageToken' is not a string", tenant=tenant)
    return items or [], token or ""  # docs/vendors/conductorone.md §3: end = "" or absent
