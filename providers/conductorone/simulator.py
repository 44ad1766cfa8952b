"""A simulated ConductorOne tenant (ASGI): the endpoints the adapter uses, served faithfully.

Why a simulation and not mocks: the end-to-end tests, ``credaudit demo`` and ``credaudit
sandbox`` need a server that behaves like the real one in the ways that break clients: the
Ed25519 client assertion is verified for real (signature, ``aud`` = the Host header's host without
port, expiry within five minutes), page tokens are opaque and bound to the request, page sizes
are clamped, errors come in the vendor's bodies, and faults (latency, 429 with ``Retry-After``,
bursts of 503, a credential without search permission, malformed records) can be switched on.

Behaviour the vendor does not document, chosen here and stated so nobody mistakes it for fact:
- soft-deleted clients (``deletedAt`` set) are still returned by Search and List (§2.3 unknown);
- Search Users without ``userStatuses`` returns ENABLED and DISABLED users only, so a client that
  does not ask for DELETED ones misses them (§2.6 unknown);
- an empty result omits ``list`` as protojson omits empty repeated fields;
- faults apply to ``/api/`` requests only, never to the token endpoint (the adapter must not retry
  token requests, docs/vendors/conductorone.md §4);
- session settings (``GET /api/v1/settings/session``) need Super Administrator, as the UI's
  global settings do (DOCS product/admin/global-settings.mdx); others get a 403;
- ``DELETE /api/v1/iam/personal_clients/{id}`` soft-deletes (sets ``deletedAt``); deleting
  another user's client needs Super Administrator (the vendor does not say which role);
- the clients made by ``mint_client`` are not part of the audited population: they belong to the
  scanner, are never listed, and ``ground_truth()`` leaves them out.

The endpoints are in ``providers.conductorone.simendpoints`` (``SimEndpoints``), the principals
and request plumbing (faults, errors, tokens, paging) in ``providers.conductorone.simplumbing``
(``SimPlumbing``); both are re-exported here.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from providers.conductorone.auth import encode_client_secret
from providers.conductorone.dataset import ADJECTIVES, ANIMALS, JSON, Dataset, curated
from providers.conductorone.generator import corrupt, generate
from providers.conductorone.simendpoints import SimEndpoints
from providers.conductorone.simfaults import FaultInjector, SimFaults
from providers.conductorone.simpaging import Pager
from providers.conductorone.simplumbing import (
    SEARCH_PERMISSION,
    SETTINGS_PERMISSION,
    USER_SEARCH_PERMISSION,
    Principal,
    SimPlumbing,
    _Asgi,
    _drop_empty,
    _json_body,
)

__all__ = [
    "SEARCH_PERMISSION",
    "SETTINGS_PERMISSION",
    "USER_SEARCH_PERMISSION",
    "ConductorOneSimulator",
    "Principal",
    "SimEndpoints",
    "SimPlumbing",
    "_Asgi",
    "_drop_empty",
    "_json_body",
]


class ConductorOneSimulator(SimEndpoints):
    """One tenant. ``app`` is the ASGI application; see the module docstring for behaviour."""

    def __init__(
        self,
        *,
        seed: int = 0,
        size: int | None = None,
        anchor: datetime,
        faults: SimFaults | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        host: str = "acme.conductor.one",
    ) -> None:
        self.seed = seed
        self.faults = faults or SimFaults()
        self.data: Dataset = (
            curated(anchor, seed, host) if size is None else generate(seed, size, anchor, host)
        )
        if self.faults.malformed_records:
            rng = random.Random(f"c1-bad-{seed}")  # noqa: S311 - simulation, not security
            corrupt(self.data, self.faults.malformed_records, rng)
        for role in self.data.roles:
            if role["name"] in self.faults.unlisted_role_permissions:
                role["permissions"] = []
        self.users = self.data.users
        self.requests: Counter[str] = Counter()
        self.received: list[tuple[str, str]] = []
        self.principals: dict[str, Principal] = {}
        self._clock = clock
        self._sleep = sleep
        self._faults = FaultInjector(self.faults, seed)
        self._mint_rng = random.Random(f"c1-mint-{seed}")  # noqa: S311 - simulation, not security
        self._tokens: dict[str, tuple[Principal, float]] = {}
        self._pager = Pager(secrets.token_bytes(32))
        self._by_owner: dict[str, list[JSON]] = {}
        self._filtered: dict[str, list[JSON]] = {json.dumps(["", []]): self.data.clients}
        for record in self.data.clients:
            self._by_owner.setdefault(str(record.get("userId")), []).append(record)
        routes = [
            Route("/auth/v1/token", self._token, methods=["POST"]),
            Route("/api/v1/search/iam/personal_clients", self._search_clients, methods=["POST"]),
            Route("/api/v1/iam/personal_clients", self._list_own, methods=["GET"]),
            Route("/api/v1/iam/personal_clients/{id}", self._get_client, methods=["GET"]),
            Route("/api/v1/iam/personal_clients/{id}", self._delete_client, methods=["DELETE"]),
            Route("/api/v1/iam/roles", self._list_roles, methods=["GET"]),
            Route("/api/v1/iam/roles/{role_id}", self._get_role, methods=["GET"]),
            Route("/api/v1/search/users", self._search_users, methods=["POST"]),
            Route("/api/v1/users/{id}", self._get_user, methods=["GET"]),
            Route("/api/v1/settings/session", self._session_settings, methods=["GET"]),
        ]
        handlers = {404: self._http_error, 405: self._http_error}
        self._starlette = Starlette(routes=routes, exception_handlers=handlers)
        self._app = _Asgi(self._asgi)

    # -- public helpers -----------------------------------------------------------------------

    def mint_client(self, kind: Literal["admin", "limited"] = "admin") -> tuple[str, str]:
        """A usable (client id, secret). "limited" is a Basic User without search permission."""
        key = Ed25519PrivateKey.generate()
        rng = self._mint_rng
        name = f"{rng.choice(ADJECTIVES)}-{rng.choice(ANIMALS)}-{rng.randrange(10000, 99999)}"
        client_id = f"{name}@{self.data.host}/pcc"
        secret = encode_client_secret(key)
        owner = self.data.admin_user_id if kind == "admin" else self.data.limited_user_id
        self.principals[client_id] = Principal(
            client_id, owner, key.public_key(), secret, can_search=kind == "admin"
        )
        return client_id, secret

    def delete_out_of_band(self, client_id: str) -> None:
        """Someone deletes ``client_id`` in the vendor's UI (between a plan and its apply)."""
        for record in self.data.clients:
            if record.get("id") == client_id:
                record["deletedAt"] = "2026-01-01T00:00:00Z"

    def ground_truth(self) -> list[JSON]:
        """Every non-deleted, well-formed client exactly as served (JSON copies)."""
        return [
            json.loads(json.dumps(c))
            for i, c in enumerate(self.data.clients)
            if not c.get("deletedAt") and i not in self.data.malformed
        ]

    def malformed_truth(self) -> list[JSON]:
        """The records the ``malformed_records`` fault damaged, as served."""
        return [json.loads(json.dumps(self.data.clients[i])) for i in sorted(self.data.malformed)]

    # -- ASGI entry: latency and faults, then the routes -------------------------------------

    @property
    def app(self) -> ASGIApp:
        """The ASGI application (an object with an async ``__call__``, as servers expect)."""
        return self._app
