"""ConductorOne users -> owners: status (``status``, ``directoryStatus``, ``employmentStatus``),
kind (``User.type``) and roles; the coverage note on employment statuses read as "employed".

Fields: openapi.yaml ``components.schemas.c1.api.user.v1.User`` (docs/vendors/conductorone.md
§2.6). Vendor data is untrusted: every value is type-checked, and text
that reaches messages is clipped (``normalise._clip``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.kernel.coveragenotes import CoverageNote, caveat
from auditor.kernel.model import Owner, OwnerStatus
from providers.conductorone.normalise import _clip, read_str, read_str_list, read_time

DEFAULT_LEFT_EMPLOYMENT: tuple[str, ...] = (
    "Terminated",
    "Inactive",
    "Former Employee",
    "Retired",
    "Resigned",
    "Separated",
    "Deceased",
)
"""``User.employmentStatus`` values that mean the person left, unless the tenant configures
``inactive_employment_statuses``. The field is a free string mapped from the HR source
(openapi.yaml ``components.schemas.c1.api.user.v1.User.employmentStatus``: "The users employment
status"), so no list is complete: a value matches when it equals one of these, or starts with one
followed by a non-letter ("Terminated - Voluntary"), compared without case. Values matching none
are read as "employed" and listed in coverage (``employed_note``) for the tenant to review."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def left_employment(value: str, left: Iterable[str]) -> bool:
    """``value`` equals one of ``left`` or starts with one followed by a non-letter (no case)."""
    text = value.strip().casefold()
    for entry in left:
        want = entry.strip().casefold()
        if not want:
            continue
        if text == want or (text.startswith(want) and not text[len(want)].isalpha()):
            return True
    return False


def map_owner_status(
    user: Mapping[str, Any], left: tuple[str, ...] = DEFAULT_LEFT_EMPLOYMENT
) -> tuple[OwnerStatus, str | None, str | None]:
    """``status``/``directoryStatus``/``employmentStatus`` -> owner status, a note, and the reason
    shown with the status when the vendor's own ``status`` does not say it.

    The worse wins: a user ENABLED in C1 but DISABLED in the directory has left, and so has one
    whose ``employmentStatus`` matches ``left`` (the HR record says so; C1 does not disable such
    users by itself). An ``employmentStatus`` that is not a string makes the owner ``unknown``
    (the HR record cannot be read, so it may say the person left). ``UNKNOWN`` directory status
    is normal for local users, so it never makes an owner unknown.
    """
    status = user.get("status")
    directory = user.get("directoryStatus")
    employment = user.get("employmentStatus")
    # Both are enums in the spec, but vendor data is untrusted: a list or object here must give
    # "unknown" for this owner, not a TypeError that fails the whole tenant.
    status = status if isinstance(status, str) or status is None else repr(status)
    directory = directory if isinstance(directory, str) or directory is None else repr(directory)
    if "DELETED" in (status, directory) or read_time(user, "deletedAt") is not None:
        if status == "DELETED":
            return "deleted", None, None
        if directory == "DELETED":
            return "deleted", None, _mismatch("directoryStatus", directory, status)
        return "deleted", None, f"deletedAt is set while the ConductorOne status is {_clip(status)}"
    if "DISABLED" in (status, directory):
        return (
            "disabled",
            None,
            (None if status == "DISABLED" else _mismatch("directoryStatus", directory, status)),
        )
    if employment is not None and not isinstance(employment, str):
        why = f"employmentStatus is {type(employment).__name__}, not a string: {_clip(employment)}"
        return "unknown", why, why  # the note reaches owner-unverified's evidence
    employment = employment.strip() if employment else None
    if employment and left_employment(employment, left):
        return "disabled", None, _mismatch("employmentStatus", employment, status)
    if status == "ENABLED":
        return "active", None, None
    return "unknown", f"owner status {_clip(status)} is not one the API documents", None


def _mismatch(field_name: str, value: object, status: object) -> str:
    return f"{field_name} is {_clip(value)} while the ConductorOne status is {_clip(status)}"


def employed_note(users: Iterable[Mapping[str, Any]], owners: Mapping[str, Owner]) -> str | None:
    """One coverage line: the distinct non-empty ``employmentStatus`` values of active owners
    (read as "still employed"), with counts, the 10 commonest, each clipped like vendor text."""
    seen: Counter[str] = Counter()
    for user in users:
        value, owner = user.get("employmentStatus"), owners.get(str(user.get("id")))
        active = owner is not None and owner.status == "active"
        if active and isinstance(value, str) and value.strip():
            seen[value.strip()] += 1
    if not seen:
        return None
    top = sorted(seen.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{_clip(value)} ({count})" for value, count in top[:10])
    more = f" and {len(top) - 10} more" if len(top) > 10 else ""
    return (
        f"employmentStatus values treated as employed (owners stay active): {shown}{more}; "
        "list any that mean the person left in inactive_employment_statuses"
    )


@dataclass
class OwnerTable:
    """Owners by user id, as far as the users search told us."""

    found: dict[str, Owner] = field(default_factory=dict)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    """Ids whose lookup failed or was refused (their status is ``unknown``, not ``not_found``),
    with the reason (``Owner.status_reason``)."""
    role_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The role ids of each found owner (``User.roleIds``), for effective privilege."""

    def owner(self, user_id: str | None) -> tuple[Owner, tuple[str, ...]]:
        if user_id is None:
            return Owner(status="unknown"), ("the record names no owner (userId is empty)",)
        if user_id in self.found:
            return self.found[user_id], self.notes.get(user_id, ())
        if user_id in self.unresolved:
            return Owner(id=user_id, status="unknown", status_reason=self.unresolved[user_id]), ()
        return Owner(id=user_id, status="not_found"), ()


def owner_kind(value: object) -> str | None:
    """``User.type`` (USER_TYPE_HUMAN|SERVICE|AGENT|…, unknown values allowed) as one clipped line
    without control or invisible characters; ``None`` when absent or not a string."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", value).strip()
    if not text:
        return None
    return _clip(text, quote=False)


def owner_from_user(
    user: Mapping[str, Any],
    roles: Mapping[str, str],
    left: tuple[str, ...] = DEFAULT_LEFT_EMPLOYMENT,
) -> tuple[Owner, list[str]]:
    status, note, reason = map_owner_status(user, left)
    notes = [note] if note else []
    role_ids = read_str_list(user, "roleIds")
    unknown = [r for r in role_ids if r not in roles]
    if unknown and roles:
        notes.append(f"owner role ids not in the role catalogue: {', '.join(unknown)}")
    owner = Owner(
        id=read_str(user, "id"),
        name=read_str(user, "displayName"),
        email=read_str(user, "email"),
        status=status,
        roles=tuple(roles.get(r, r) for r in role_ids),
        kind=owner_kind(user.get("type")),
        status_reason=reason,
    )
    return owner, notes


def users_of(
    page: list[Any], unresolved: dict[str, str], failures: list[CoverageNote]
) -> list[dict[str, Any]]:
    """The ``User`` objects inside ``UserView`` items (``c1.api.user.v1.UserView``); an unreadable
    view whose ``userId`` we can still see leaves that owner ``unknown`` rather than
    ``not_found``."""
    users = []
    for view in page:
        user = view.get("user") if isinstance(view, dict) else None
        if isinstance(user, dict) and isinstance(user.get("id"), str) and user["id"]:
            users.append(user)
        elif isinstance(view, dict) and isinstance(view.get("userId"), str):
            unresolved[view["userId"]] = "owner record unreadable (a user view without a user)"
            failures.append(
                owner_unknown(
                    "owner-record-unreadable",
                    "owner record unreadable (a user view without a user)",
                    1,
                )
            )
    return users


def owner_unknown(kind: str, reason: str, owners: int) -> CoverageNote:
    """The coverage note for ``owners`` owners left ``unknown`` by ``reason`` (notes of one reason
    aggregate: "owner lookup refused (…) for 1,304 owners in 13 batches")."""
    return caveat(kind, reason, count=owners, unit="owner", advice="their status is unknown")
