"""Builders of the simulated ConductorOne tenant's records (``providers.conductorone.dataset``):
the ``Dataset`` container, the vendor's id and timestamp formats, roles, users, personal clients
and allow lists in the vendor's JSON shapes, and the words client names are made of."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from providers.conductorone.simroles import (
    BREAK_GLASS,
    BUILTIN_ROLES,
    CUSTOM_ROLES,
    ROLE_PERMISSIONS,
)

__all__ = [
    "ABSENT",
    "ADJECTIVES",
    "ANIMALS",
    "DAY",
    "JSON",
    "_ALNUM",
    "Dataset",
    "_role",
    "allow_list",
    "fmt",
    "ksuid",
    "make_client",
    "make_roles",
    "make_user",
]

JSON = dict[str, Any]
ABSENT: Any = object()  # a field the server leaves out (protojson omits empty fields)
_ALNUM = string.ascii_letters + string.digits
DAY = timedelta(days=1)


@dataclass
class Dataset:
    """One tenant's state: roles, users (by id) and personal clients in server order."""

    host: str
    roles: list[JSON]
    users: dict[str, JSON]
    clients: list[JSON]
    role_ids: dict[str, str]  # role name -> id
    limited_user_id: str
    admin_user_id: str
    malformed: set[int] = field(default_factory=set)  # indexes into clients
    session_settings: JSON = field(default_factory=dict)
    """``SessionSettings`` (openapi.yaml components.schemas.c1.api.settings.v1.SessionSettings)."""


def allow_list(enabled: bool, cidrs: list[str] | None) -> JSON:
    """A ``CIDRRestriction``; protojson leaves out ``enabled: false`` and an empty list."""
    return {k: v for k, v in {"enabled": enabled, "sourceCidr": cidrs}.items() if v}


def ksuid(rng: random.Random) -> str:
    """27 alphanumerics: the server's id format (c1i roleIDPattern, docs/vendors/conductorone.md
    §2.5)."""
    return "".join(rng.choice(_ALNUM) for _ in range(27))


def fmt(when: datetime, digits: int, nanos: int = 0) -> str:
    """Protojson form: UTC, ``Z``, 0/3/6/9 fractional digits (docs/vendors/conductorone.md §2.1)."""
    base = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if digits == 0:
        return base + "Z"
    total = f"{when.microsecond:06d}{nanos % 1000:03d}"
    return f"{base}.{total[:digits]}Z"


def _role(rng: random.Random, anchor: datetime, name: str, display: str, api_only: bool) -> JSON:
    builtin = name.startswith("system:")
    return {
        "id": ksuid(rng),
        "name": name,
        "displayName": display,
        "permissions": [f"permission/{op}" for op in ROLE_PERMISSIONS[name]],
        "serviceRoles": [f"role/c1.api.{name.replace(':', '.')}"],
        "systemBuiltin": builtin,
        "systemApiOnly": api_only,
        "createdAt": fmt(anchor - 900 * DAY, 0),
        "updatedAt": fmt(anchor - 900 * DAY, 0),
        "deletedAt": None,
    }


def make_roles(rng: random.Random, anchor: datetime) -> tuple[list[JSON], dict[str, str]]:
    roles = [_role(rng, anchor, n, d, api) for n, d, api in BUILTIN_ROLES]
    roles += [_role(rng, anchor, n, n.split(":")[1].title(), False) for n in CUSTOM_ROLES]
    own = random.Random(f"c1-role-{BREAK_GLASS}")  # noqa: S311 - simulation, not security
    roles.append(_role(own, anchor, BREAK_GLASS, "Break Glass", False))
    return roles, {r["name"]: r["id"] for r in roles}


def make_user(
    uid: str,
    name: str,
    anchor: datetime,
    role_ids: list[str],
    *,
    status: str = "ENABLED",
    directory_status: str = "ENABLED",
    user_type: str = "USER_TYPE_HUMAN",
    employment: str | None = "Active",
) -> JSON:
    """A ``User`` (``c1.api.user.v1.User``) with the fields an audit reads, the rest omitted."""
    login = name.lower().replace(" ", ".")
    return {
        "id": uid,
        "displayName": name,
        "email": f"{login}@example.com",
        "emails": [f"{login}@example.com"],
        "username": login,
        "status": status,
        "directoryStatus": directory_status,
        "type": user_type,
        "origin": "USER_ORIGIN_DIRECTORY",
        "roleIds": role_ids,
        "createdAt": fmt(anchor - 800 * DAY, 3),
        "updatedAt": fmt(anchor - 20 * DAY, 3),
        "deletedAt": fmt(anchor - 10 * DAY, 0) if status == "DELETED" else None,
        # a free string from the HR source (User.employmentStatus); absent for local users
        **({"employmentStatus": employment} if employment else {}),
    }


def make_client(
    cid: str,
    host: str,
    name: str,
    owner: str,
    *,
    created: datetime,
    last_used: datetime | None,
    expires: Any,
    cidrs: Any,
    scoped: Any,
    digits: int,
    nanos: int = 0,
    deleted: datetime | None = None,
) -> JSON:
    """A ``PersonalClient`` (``c1.api.iam.v1.PersonalClient``). ``ABSENT`` leaves a field out, as
    protojson does."""

    def ts(value: datetime | None) -> str | None:
        return None if value is None else fmt(value, digits, nanos)

    record: JSON = {
        "id": cid,
        "clientId": f"{cid}@{host}/pcc",
        "displayName": name,
        "userId": owner,
        "scopedRoles": scoped,
        "allowSourceCidr": cidrs,
        "expiresTime": expires if expires is ABSENT else ts(expires),
        "lastUsedAt": ts(last_used),
        "createdAt": ts(created),
        "updatedAt": ts(created),
        "deletedAt": ts(deleted),
    }
    return {k: v for k, v in record.items() if v is not ABSENT}


ADJECTIVES = [
    "strange",
    "brave",
    "calm",
    "eager",
    "fancy",
    "gentle",
    "happy",
    "jolly",
    "kind",
    "lively",
    "merry",
    "nice",
    "proud",
    "silly",
    "witty",
    "zany",
    "bold",
    "clever",
    "quiet",
    "rapid",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "wise",
    "young",
    "amber",
    "azure",
]
ANIMALS = [
    "hydra",
    "whale",
    "otter",
    "falcon",
    "badger",
    "heron",
    "lynx",
    "marten",
    "panda",
    "quokka",
    "raven",
    "salmon",
    "tapir",
    "viper",
    "walrus",
    "yak",
    "zebra",
    "bison",
    "cobra",
    "dingo",
    "egret",
    "ferret",
    "gecko",
    "ibis",
    "jackal",
    "koala",
    "lemur",
    "moose",
    "newt",
]
