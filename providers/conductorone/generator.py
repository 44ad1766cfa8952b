"""Seeded generation of a simulated ConductorOne tenant of any size (10 to 200,000 clients).

The mix is meant to look like a real tenant so that benchmarks and end-to-end tests meet every
shape the adapter must handle: recent and stale use, never used, no expiry and long expiry,
expired, narrow and wide CIDRs in both families, scoped and unscoped keys, disabled, deleted and
unknown owners, and a few Super Administrators. Owners are messy the way real ones are (mixed in
from a stream of their own, so the rest of a tenant stayed as it was): about 3 % are ENABLED in
ConductorOne although HR says they left (``Terminated``, ``Terminated - Voluntary``, ``Inactive``,
``Former Employee``, …), 0.3 % have an ``employmentStatus`` that is not a string (their status is
unknown), 4 % are service and 1 % agent users, 1 % hold the custom role ``custom:break-glass``
(every Super Administrator permission under another id). The tenant enforces its allow list
for Super Administrator-level API keys, not the one for all.
Fields that protojson may omit are left out, set to ``null`` or to ``[]`` in roughly equal parts
(docs/vendors/conductorone.md §2: all three mean "none").

``corrupt`` damages chosen records the way a buggy or newer server might (no id, unparsable
timestamp, wrong types) for the ``malformed_records`` fault.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from providers.conductorone.dataset import (
    ABSENT,
    ADJECTIVES,
    ANIMALS,
    BREAK_GLASS,
    JSON,
    Dataset,
    allow_list,
    ksuid,
    make_client,
    make_roles,
    make_user,
)

_FIRST = [
    "Ana",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Femi",
    "Gus",
    "Hana",
    "Ines",
    "Jon",
    "Kai",
    "Lea",
    "Mo",
    "Nia",
    "Oto",
    "Pia",
    "Raj",
    "Sol",
    "Tia",
    "Uma",
]
_LAST = [
    "Ito",
    "Khan",
    "Lopez",
    "Moss",
    "Nagy",
    "Ono",
    "Park",
    "Quinn",
    "Rossi",
    "Sato",
    "Tran",
    "Ueda",
    "Voss",
    "Wong",
    "Xu",
    "Young",
]
_PURPOSES = (
    "laptop cli",
    "terraform",
    "ci deploy",
    "nightly export",
    "grafana sync",
    "access review bot",
    "jupyter",
    "backfill script",
    "<b>bold</b> test",
    "=1+2 sheet",
)


_LEFT_HR = (
    "Terminated",
    "terminated",
    "Terminated ",
    "Terminated - Voluntary",
    "Inactive",
    "Former Employee",
    "RETIRED",
    "Resigned",
)
_STAYING_HR = ("On Leave", "On Leave", "Former Employees Rehired", "Inactivated Badge")


def _when(rng: random.Random, anchor: datetime, low_days: float, high_days: float) -> datetime:
    return anchor - timedelta(seconds=rng.uniform(low_days, high_days) * 86400)


def _users(rng: random.Random, anchor: datetime, count: int, rid: dict[str, str]) -> list[JSON]:
    users = []
    for index in range(count):
        roll = rng.random()
        status, directory = "ENABLED", "ENABLED"
        if roll < 0.05:
            status = directory = "DISABLED"
        elif roll < 0.08:
            status = directory = "DELETED"
        elif roll < 0.10:
            directory = "DISABLED"  # left the directory, not yet synced to C1
        elif roll < 0.15:
            directory = "UNKNOWN"  # a local user: no directory
        role_roll = rng.random()
        roles = [rid["system:user"]]
        if role_roll < 0.03:
            roles = [rid["system:owner"], rid["system:user"]]
        elif role_roll < 0.08:
            roles.append(rid["system:viewer"])
        elif role_roll < 0.12:
            roles.append(rid[rng.choice(["custom:reports", "custom:helpdesk"])])
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {index}"
        users.append(
            make_user(ksuid(rng), name, anchor, roles, status=status, directory_status=directory)
        )
    return users


def _hr(rng: random.Random, users: list[JSON], rid: dict[str, str]) -> None:
    """Employment status, user type and break-glass roles, from their own random stream."""
    for user in users:
        roll = rng.random()
        if user["directoryStatus"] == "UNKNOWN":
            user.pop("employmentStatus", None)  # a local user: no HR record
        elif roll < 0.03:
            user["employmentStatus"] = rng.choice(_LEFT_HR)
        elif roll < 0.05:
            user["employmentStatus"] = rng.choice(_STAYING_HR)  # not "left": stays active
        elif roll < 0.053:
            user["employmentStatus"] = rng.choice([3, ["Terminated"]])  # unreadable: unknown
        kind = rng.random()
        if kind < 0.04:
            user["type"] = "USER_TYPE_SERVICE"
            user.pop("employmentStatus", None)
        elif kind < 0.05:
            user["type"] = "USER_TYPE_AGENT"
            user.pop("employmentStatus", None)
        if rng.random() < 0.01:
            user["roleIds"] = [*user["roleIds"], rid[BREAK_GLASS]]


def _cidrs(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.30:
        return rng.choice([ABSENT, None, []])
    if roll < 0.70:
        return [f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/{rng.choice([24, 26, 28, 32])}"]
    if roll < 0.80:
        return [rng.choice(["10.0.0.0/8", "0.0.0.0/0", "172.16.0.0/12", "192.168.0.0/16"])]
    if roll < 0.90:
        return [f"2001:db8:{rng.randrange(65536):x}::/{rng.choice([48, 56, 64])}"]
    if roll < 0.95:
        return [rng.choice(["2001:db8::/32", "::/0"])]
    return [f"198.51.100.{rng.randrange(256)}/32", f"2001:db8:{rng.randrange(65536):x}::/64"]


def generate(seed: int, size: int, anchor: datetime, host: str = "acme.conductor.one") -> Dataset:
    """A tenant with ``size`` personal clients (about 0.5 % soft-deleted)."""
    if not 1 <= size <= 1_000_000:
        raise ValueError("size must be between 1 and 1,000,000")
    rng = random.Random(f"c1-generated-{seed}-{size}")  # noqa: S311 - simulation, not security
    roles, rid = make_roles(rng, anchor)
    people = _users(rng, anchor, max(8, size // 4), rid)
    limited = make_user(ksuid(rng), "Limited Auditor", anchor, [rid["system:user"]])
    admin = make_user(
        ksuid(rng),
        "credaudit scanner",
        anchor,
        [rid["system:owner"]],
        user_type="USER_TYPE_SERVICE",
    )
    _hr(random.Random(f"c1-hr-{seed}-{size}"), people, rid)  # noqa: S311 - simulation
    users = {u["id"]: u for u in [*people, limited, admin]}
    ghosts = [ksuid(rng) for _ in range(max(1, size // 200))]
    scope_choices = [
        rid["system:user"],
        rid["system:viewer"],
        rid["system:owner"],
        rid["custom:reports"],
        rid["system:api-logs-viewer"],
    ]
    seen: set[str] = set()
    clients: list[JSON] = []
    for index in range(size):
        while True:
            cid = f"{rng.choice(ADJECTIVES)}-{rng.choice(ANIMALS)}-{rng.randrange(100000):05d}"
            if cid not in seen:
                seen.add(cid)
                break
        if index < 2 or rng.random() < 0.01:
            owner = rng.choice(ghosts)
        elif index < 5:
            owner = limited["id"]  # the limited credential's list-own fallback finds these
        else:
            owner = people[int(len(people) * rng.random() ** 2)]["id"]  # a few own many
        created = _when(rng, anchor, 1, 730)
        age = (anchor - created).total_seconds() / 86400
        use = rng.random()
        last_used = None if use < 0.2 else _when(rng, anchor, 0, min(age, 30 if use < 0.7 else 400))
        exp = rng.random()
        expires: Any
        if exp < 0.12:
            expires = None
        elif exp < 0.25:
            expires = ABSENT
        elif exp < 0.35:
            expires = created + timedelta(days=rng.uniform(400, 1000))
        else:
            expires = created + timedelta(days=rng.choice([30, 90, 180, 365]))
        scoped: Any
        scope_roll = rng.random()
        if scope_roll < 0.40:
            scoped = rng.choice([ABSENT, None, []])
        elif scope_roll < 0.99:
            scoped = rng.sample(scope_choices, rng.choice([1, 1, 2]))
        else:
            scoped = [ksuid(rng)]  # a role deleted since: not in the catalogue
        deleted = _when(rng, anchor, 0, age) if rng.random() < 0.005 else None
        name = f"{rng.choice(_PURPOSES)} {index}"
        clients.append(
            make_client(
                cid,
                host,
                name,
                owner,
                created=created,
                last_used=last_used,
                expires=expires,
                cidrs=_cidrs(rng),
                scoped=scoped,
                digits=rng.choice([0, 3, 6, 9]),
                nanos=rng.randrange(1000),
                deleted=deleted,
            )
        )
    settings = {
        "pccUserSource": allow_list(False, []),
        "pccAdminSource": allow_list(True, ["198.51.100.0/24", "2001:db8:ad::/48"]),
    }
    return Dataset(
        host, roles, users, clients, rid, limited["id"], admin["id"], session_settings=settings
    )


def corrupt(dataset: Dataset, count: int, rng: random.Random) -> None:
    """Damage ``count`` non-deleted records in place (rotating through four kinds of damage)."""
    candidates = [i for i, c in enumerate(dataset.clients) if not c.get("deletedAt")]
    for n, index in enumerate(sorted(rng.sample(candidates, min(count, len(candidates))))):
        record = dataset.clients[index]
        kind = n % 4
        if kind == 0:
            record.pop("id", None)
        elif kind == 1:
            record["createdAt"] = "last tuesday"
        elif kind == 2:
            record["scopedRoles"] = "not-a-list"
        else:
            record["lastUsedAt"] = 1_700_000_000
        dataset.malformed.add(index)
