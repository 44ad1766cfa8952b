"""The simulated SailPoint tenant's endpoints (``providers.sailpoint.simulator`` lists what it
serves and the source of each behaviour): ``SimEndpoints`` answers the token, PAT list, public
identity and auth-user requests, with the query helpers they use (filters, paging parameters)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from auditor.kernel.timestamps import parse_timestamp
from providers.sailpoint.filters import (
    PAT_FILTERS,
    PUBLIC_IDENTITY_FILTERS,
    FilterError,
    Node,
    evaluate,
    exact_ids,
    parse_filter,
)
from providers.sailpoint.simplumbing import (
    ALL_READ,
    AUTH_USER_READ,
    MANAGED_READ,
    MY_READ,
    SimPlumbing,
)
from providers.sailpoint.tenantdata import Identity, render_auth_user, render_identity

__all__ = ["SimEndpoints", "_identity_getter", "_int_param", "_match_pat", "_owner_id"]


class SimEndpoints(SimPlumbing):
    """The request handlers ``SailPointSimulator`` routes to."""

    # -- endpoints --------------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        fields = {k: v[0] for k, v in parse_qs(request.url.query).items()}
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = (await request.body()).decode("utf-8", "replace")
            fields.update({k: v[0] for k, v in parse_qs(body).items()})
        client = self._clients.get(fields.get("client_id", ""))
        refused = await self._arrive(client.id if client else None)
        if refused is not None:
            return refused
        if fields.get("grant_type", "").lower() != "client_credentials":
            return self._json(400, {"error": "unsupported_grant_type"})
        if client is None or fields.get("client_secret") != client.secret:
            return self._json(
                401, {"error": "invalid_client", "error_description": "Bad credentials"}
            )
        n = len(self._tokens)
        token = hashlib.sha256(f"{self.seed}:token:{client.id}:{n}".encode()).hexdigest()
        self._tokens[token] = (client.id, self._clock() + self.token_ttl_seconds)
        # docs/api/authentication.md "OAuth token response" (docs/vendors/sailpoint.md §1.2)
        return self._json(200, {
            "access_token": token, "token_type": "bearer", "expires_in": self.token_ttl_seconds,
            "scope": "sp:scopes:all", "accessType": "OFFLINE", "tenant_id": "sim-tenant",
            "internal": False, "pod": "sim01", "strong_auth_supported": False, "org": "sim",
            "identity_id": client.identity, "strong_auth": False, "enabled": True,
            "jti": token[:32],
        })  # fmt: skip

    async def _pats_v1(self, request: Request) -> Response:
        return await self._list_pats(request, "v1")

    async def _pats(self, request: Request) -> Response:
        return await self._list_pats(request, request.url.path.split("/")[1])

    async def _list_pats(self, request: Request, version: str) -> Response:
        client, refused = await self._authenticate(request)
        if client is None:
            assert refused is not None
            return refused
        owner = request.query_params.get("owner-id")
        # the right each owner-id form needs (spec idn/v3/paths/personal-access-tokens.yaml,
        # owner-id)
        needed = MY_READ if owner == "me" else ALL_READ
        if needed not in client.rights:
            return self._error(
                403, "The server understood the request but refuses to authorize it."
            )
        managed = MANAGED_READ in client.rights
        rows = self._rendered(version, managed)
        whole = rows
        if owner is not None:
            wanted = client.identity if owner == "me" else owner
            rows = [r for r in rows if _owner_id(r) == wanted]
        text = request.query_params.get("filters")
        if text is not None:
            try:
                node = parse_filter(text, PAT_FILTERS)
            except FilterError as exc:
                return self._error(400, f"Invalid filter {text!r}: {exc}")
            rows = [r for r in rows if _match_pat(node, r)]
        paging = self.faults.pat_list_paging
        asked = {"limit", "offset"} & set(request.query_params)
        if paging == "reject" and asked:
            return self._error(400, f"Unsupported query parameter(s): {', '.join(sorted(asked))}")
        if paging == "break" and int(request.query_params.get("offset") or 0) >= 500:
            return self._error(400, "The request could not be parsed.")
        if paging in ("page", "break"):
            try:
                limit = _int_param(request.query_params.get("limit"), 250, 0, 250, "limit")
                offset = _int_param(request.query_params.get("offset"), 0, 0, 2**31 - 1, "offset")
            except FilterError as exc:
                return self._error(400, str(exc))
            rows = rows[offset : offset + limit]
        if rows is whole:  # as rendered: the body encoded once (``_whole_list``)
            return self._whole_list(version, managed)
        return self._json(200, rows)

    async def _public_identities(self, request: Request) -> Response:
        client, refused = await self._authenticate(request)
        if client is None:
            assert refused is not None
            return refused
        if self.faults.deny_identity_lookup:
            return self._error(
                403, "The server understood the request but refuses to authorize it."
            )
        params = request.query_params
        try:
            limit = _int_param(params.get("limit"), 250, 0, 250, "limit")
            offset = _int_param(params.get("offset"), 0, 0, 2**31 - 1, "offset")
            node = (
                parse_filter(params["filters"], PUBLIC_IDENTITY_FILTERS)
                if "filters" in params
                else None
            )
        except FilterError as exc:
            return self._error(400, str(exc))
        sorters = params.get("sorters")
        if sorters not in (None, "name", "-name"):
            return self._error(400, f"Sorting by {sorters!r} is not supported (supported: name).")
        found = self._find_identities(node)
        if params.get("add-core-filters", "false").lower() == "true":
            found = [i for i in found if i.email and i.lastname]
        if sorters:
            found.sort(key=lambda i: i.name.lower(), reverse=sorters.startswith("-"))
        headers = {"X-Total-Count": str(len(found))} if params.get("count") == "true" else None
        page = [render_identity(i) for i in found[offset : offset + limit]]
        return self._json(200, page, headers)

    async def _auth_user(self, request: Request) -> Response:
        client, refused = await self._authenticate(request)
        if client is None:
            assert refused is not None
            return refused
        # v3 spec paths./auth-users/{id}.get (getAuthUser): security userAuth [sp:auth-user:read]
        if AUTH_USER_READ not in client.rights or self.faults.deny_user_level_lookup:
            return self._error(
                403, "The server understood the request but refuses to authorize it."
            )
        identity = self._identities.get(str(request.path_params["id"]).lower())
        if identity is None or not identity.login:
            return self._error(404, "The requested object was not found.")
        return self._json(200, render_auth_user(identity, "sim-tenant"))

    def _find_identities(self, node: Node | None) -> list[Identity]:
        ids = exact_ids(node) if node is not None else None
        if ids is not None:
            hits = {i.lower() for i in ids if i.lower() in self._identities}
            return [i for i in self.dataset.identities if i.id.lower() in hits]
        if node is None:
            return list(self.dataset.identities)
        return [i for i in self.dataset.identities if evaluate(node, _identity_getter(i))]


def _owner_id(row: dict[str, Any]) -> Any:
    owner = row.get("owner")
    return owner.get("id") if isinstance(owner, dict) else None


def _match_pat(node: Node, row: dict[str, Any]) -> bool:
    def get(field: str) -> Any:
        value = row.get(field)
        try:
            return parse_timestamp(value) if isinstance(value, str) else None
        except ValueError:
            return None

    return evaluate(node, get)


def _identity_getter(identity: Identity) -> Callable[[str], str | None]:
    values = {"id": identity.id, "alias": identity.alias, "email": identity.email,
              "firstname": identity.firstname, "lastname": identity.lastname}  # fmt: skip
    return values.get


def _int_param(raw: str | None, default: int, low: int, high: int, name: str) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FilterError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise FilterError(f"{name} must be between {low} and {high}, got {value}")
    return value
