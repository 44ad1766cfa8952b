"""The simulated SailPoint tenant's write endpoints (``credaudit remediate``): delete and patch a
personal access token, as the v3 spec describes them (``paths./personal-access-tokens/{id}``,
docs/vendors/sailpoint.md §2.4 and §2.5).

- ``DELETE /v3/personal-access-tokens/{id}``: 204 with no body; 404 ``ErrorResponseDto`` for an
  unknown or already deleted id (so a repeated delete is 404); 403 without
  ``sp:my-personal-access-tokens:manage`` / ``sp:all-personal-access-tokens:manage``, or with only
  the former on another identity's PAT (chosen: the spec does not say which status).
- ``PATCH /v3/personal-access-tokens/{id}``: ``application/json-patch+json`` body, an array of
  ``JsonPatchOperation``; ``replace`` of ``/name`` or ``/scope`` is applied; 200 returns the PAT as
  v3 lists it. Needs ``sp:my-personal-access-tokens:manage`` and the caller must own the PAT (the
  spec's only security entry); anything else 403. A malformed patch is 400.
- Managed (Workflow) PATs can be deleted here as on any tenant: protecting them is credaudit's
  job, and the tests check it never asks.
"""

from __future__ import annotations

import json
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from providers.sailpoint.simendpoints import SimEndpoints
from providers.sailpoint.simplumbing import ALL_MANAGE, MY_MANAGE
from providers.sailpoint.tenantdata import PatRecord, render_pat
from providers.sailpoint.versions import VERSIONS

NOT_FOUND = "The server did not find a current representation for the target resource."
FORBIDDEN = "The server understood the request but refuses to authorize it."


class SimWrites(SimEndpoints):
    """Delete and patch, on top of the read endpoints."""

    def _find(self, pat_id: str) -> tuple[int, PatRecord] | None:
        for index, pat in enumerate(self.dataset.pats):
            if pat.id == pat_id and pat_id not in self.deleted:
                return index, pat
        return None

    async def _delete_pat(self, request: Request) -> Response:
        client, refused = await self._authenticate(request)
        if client is None:
            assert refused is not None
            return refused
        if not {MY_MANAGE, ALL_MANAGE} & client.rights:
            return self._error(403, FORBIDDEN)
        found = self._find(str(request.path_params["id"]))
        if found is None:
            return self._error(404, NOT_FOUND)
        if ALL_MANAGE not in client.rights and found[1].owner_id != client.identity:
            return self._error(403, FORBIDDEN)
        self.deleted.add(found[1].id)
        self._changed()
        self.served[204] = self.served.get(204, 0) + 1
        return Response(status_code=204)

    async def _patch_pat(self, request: Request) -> Response:
        client, refused = await self._authenticate(request)
        if client is None:
            assert refused is not None
            return refused
        if MY_MANAGE not in client.rights:
            return self._error(403, FORBIDDEN)
        found = self._find(str(request.path_params["id"]))
        if found is None:
            return self._error(404, NOT_FOUND)
        index, pat = found
        if pat.owner_id != client.identity:
            return self._error(403, FORBIDDEN)
        if not request.headers.get("content-type", "").startswith("application/json-patch+json"):
            return self._error(400, "The request body must be application/json-patch+json.")
        try:
            ops = json.loads(await request.body())
        except ValueError:
            return self._error(400, "The request could not be parsed.")
        changes: dict[str, object] = {}
        for op in ops if isinstance(ops, list) else [None]:
            if not isinstance(op, dict) or op.get("op") != "replace":
                return self._error(400, "Only replace operations are supported.")
            value = op.get("value")
            if op.get("path") == "/scope" and isinstance(value, list) and value:
                changes["scope"] = tuple(str(v) for v in value)
            elif op.get("path") == "/name" and isinstance(value, str) and value:
                changes["name"] = value
            else:
                return self._error(400, f"Cannot patch {op.get('path')!r} with that value.")
        updated = replace(pat, **changes)  # type: ignore[arg-type]
        pats = list(self.dataset.pats)
        pats[index] = updated
        self.dataset = replace(self.dataset, pats=tuple(pats))
        self._changed()
        return self._json(200, render_pat(updated, VERSIONS["v3"]))
