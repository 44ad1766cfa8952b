"""The simulated ConductorOne tenant's endpoints (``providers.conductorone.simulator`` says what
it serves and which behaviour is chosen, not documented): ``SimEndpoints`` answers the token,
personal client, role, user and session settings requests."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from providers.conductorone.simauth import TOKEN_LIFETIME, TokenError, verify_token_request
from providers.conductorone.simfaults import rpc_error
from providers.conductorone.simplumbing import (
    DELETE_PERMISSION,
    SEARCH_PERMISSION,
    SETTINGS_PERMISSION,
    USER_SEARCH_PERMISSION,
    SimPlumbing,
    _drop_empty,
    _json_body,
)

__all__ = ["SimEndpoints"]


class SimEndpoints(SimPlumbing):
    """The request handlers ``ConductorOneSimulator`` routes to."""

    # -- auth ----------------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        self.requests["POST /auth/v1/token"] += 1
        try:
            principal = verify_token_request(
                await request.body(),
                request.headers.get("content-type", ""),
                request.headers.get("host", ""),
                self.principals,
                self._clock(),
            )
        except TokenError as exc:
            body = {"error": exc.error, "error_description": exc.description}
            return JSONResponse(body, status_code=exc.status)
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (principal, self._clock() + TOKEN_LIFETIME)
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}
        )

    # -- personal clients ----------------------------------------------------------------------

    async def _search_clients(self, request: Request) -> Response:
        self.requests["POST /api/v1/search/iam/personal_clients"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        if not who.can_search:  # Super Administrator only (docs/vendors/conductorone.md §2.3)
            return self._denied(SEARCH_PERMISSION)
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        query = str(body.get("query") or "").lower()
        wanted = {str(r.get("id")) for r in body.get("users") or [] if isinstance(r, dict)}
        key = json.dumps([query, sorted(wanted)])
        items = self._filtered.get(key)
        if items is None:  # one filter pass per distinct search, not per page (200k clients)
            items = [
                c
                for c in self.data.clients
                if (not query or query in str(c.get("displayName", "")).lower())
                and (not wanted or c.get("userId") in wanted)
            ]
            self._filtered = {key: items}
        return self._page(items, body.get("pageSize"), body.get("pageToken"), key, "list")

    async def _list_own(self, request: Request) -> Response:
        self.requests["GET /api/v1/iam/personal_clients"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        own = self._by_owner.get(who.user_id, [])  # the List operation has no paging parameters
        return JSONResponse(_drop_empty({"list": own, "nextPageToken": ""}))

    async def _get_client(self, request: Request) -> Response:
        self.requests["GET /api/v1/iam/personal_clients/{id}"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        for record in self.data.clients:
            mine = record.get("userId") == who.user_id
            if record.get("id") == request.path_params["id"] and (mine or who.can_search):
                return JSONResponse({"client": record})  # PersonalClientServiceGetResponse, wrapped
        return rpc_error(404, 5, "not found")

    async def _delete_client(self, request: Request) -> Response:
        """``PersonalClientService.Delete``: ``{}`` (``PersonalClientServiceDeleteResponse``); a
        second delete, or an unknown id, is 404 ``{"code":5,"message":"not found"}`` as the
        official CLI's stub answers (docs/vendors/conductorone.md §2.4). The record is
        soft-deleted (``deletedAt`` set), which the adapter excludes from the population.
        Deleting another user's client needs Super Administrator here (chosen: undocumented)."""
        self.requests["DELETE /api/v1/iam/personal_clients/{id}"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        for record in self.data.clients:
            if record.get("id") != request.path_params["id"] or record.get("deletedAt"):
                continue
            if record.get("userId") != who.user_id and not who.can_search:
                return self._denied(DELETE_PERMISSION)
            stamp = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            record["deletedAt"] = stamp
            return JSONResponse({})
        return rpc_error(404, 5, "not found")

    # -- roles and users -----------------------------------------------------------------------

    async def _list_roles(self, request: Request) -> Response:
        self.requests["GET /api/v1/iam/roles"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        q = request.query_params  # GET /api/v1/iam/roles: page_size / page_token in the query
        return self._page(self.data.roles, q.get("page_size"), q.get("page_token"), "roles", "list")

    async def _get_role(self, request: Request) -> Response:
        self.requests["GET /api/v1/iam/roles/{role_id}"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        for role in self.data.roles:
            if role["id"] == request.path_params["role_id"]:
                return JSONResponse({"role": role})  # c1.api.iam.v1.GetRolesResponse, wrapped
        return rpc_error(404, 5, "not found")

    async def _search_users(self, request: Request) -> Response:
        self.requests["POST /api/v1/search/users"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        if self.faults.deny_user_search:
            return self._denied(USER_SEARCH_PERMISSION)
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        refs = [r.get("id") for r in body.get("refs") or [] if isinstance(r, dict)]
        ids = {str(i) for i in [*refs, *(body.get("ids") or [])]}
        statuses = set(body.get("userStatuses") or ["ENABLED", "DISABLED"])
        pool = (
            [self.users[i] for i in sorted(ids) if i in self.users] if ids else self.users.values()
        )
        found = [u for u in pool if u.get("status") in statuses]
        views = [{"user": u, "userId": u["id"], "rolesPath": ""} for u in found]  # UserView
        key = json.dumps([sorted(ids), sorted(statuses)])
        return self._page(views, body.get("pageSize"), body.get("pageToken"), key, "list")

    async def _get_user(self, request: Request) -> Response:
        self.requests["GET /api/v1/users/{id}"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        user = self.users.get(request.path_params["id"])
        if user is None:
            return rpc_error(404, 5, "not found")
        return JSONResponse({"userView": {"user": user, "userId": user["id"]}, "expanded": []})

    # -- tenant settings -----------------------------------------------------------------------

    async def _session_settings(self, request: Request) -> Response:
        """``GetSessionSettingsResponse`` (openapi.yaml ``paths./api/v1/settings/session.get``):
        ``{"sessionSettings": SessionSettings}``, empty fields left out as protojson does."""
        self.requests["GET /api/v1/settings/session"] += 1
        who = self._principal(request)
        if isinstance(who, Response):
            return who
        if self.faults.deny_session_settings or not who.can_search:  # Super Administrator only
            return self._denied(SETTINGS_PERMISSION)
        settings = {k: v for k, v in self.data.session_settings.items() if v not in (None, {})}
        return JSONResponse({"sessionSettings": settings})
