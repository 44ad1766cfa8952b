"""SailPoint ISC remediation: deleting a personal access token, or narrowing its scope.

- ``DELETE /v3/personal-access-tokens/{id}`` (v3 spec ``paths./personal-access-tokens/{id}``
  ``delete``, operationId ``deletePersonalAccessToken``): 204 No content; 400/401/403/404/429/500
  as ``ErrorResponseDto``. Security: ``sp:my-personal-access-tokens:manage`` or
  ``sp:all-personal-access-tokens:manage`` (docs/vendors/sailpoint.md §2.5).
- ``PATCH /v3/personal-access-tokens/{id}`` (``patchPersonalAccessToken``): content type
  ``application/json-patch+json``, body a JSON Patch (RFC 6902) array; ``name`` and ``scope``
  are patchable; 200 returns the new ``GetPersonalAccessTokenResponse``. Security:
  ``sp:my-personal-access-tokens:manage`` **only** (docs/vendors/sailpoint.md §2.4), so only the
  PAT's owner can narrow it: a plan offers ``narrow-scope`` only for PATs owned by the identity
  the remediation credential acts as (``remediation_identity``). "Changing scopes for a Personal
  Access Token does not impact existing bearer tokens … it can take up to 20 minutes" (same spec
  text): the receipt says so.
- Managed (Workflow) PATs are never touched: the application refuses them before asking here,
  and ``refusal`` refuses them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from auditor.kernel.http import ApiClient, RateLimit
from auditor.kernel.model import Credential
from providers.remediation import Remediator, VendorRequest
from providers.sailpoint.auth import SailPointTokenProvider
from providers.sailpoint.errorbody import parse_error
from providers.sailpoint.settings import api_base_url

PAT_PATH = "/v3/personal-access-tokens/{id}"
RATE_LIMIT = RateLimit(95, 10.0)
"""As the scan's (``SailPointProvider.default_rate_limit``, docs/vendors/sailpoint.md §5.4)."""
JSON_PATCH = "application/json-patch+json"
SCOPE_DELAY_NOTE = (
    "SailPoint: a scope change does not affect bearer tokens already minted and can take up to "
    "20 minutes to apply to new ones (v3 spec patchPersonalAccessToken)"
)


class SailPointRemediator(Remediator):
    actions: ClassVar[frozenset[str]] = frozenset({"revoke", "narrow-scope"})
    needs: ClassVar[Mapping[str, str]] = {
        "revoke": "sp:all-personal-access-tokens:manage",
        "narrow-scope": "sp:my-personal-access-tokens:manage, as the PAT's owner",
    }

    def refusal(self, action: str, credential: Credential, params: Mapping[str, Any]) -> str | None:
        if credential.managed:
            return "a platform-managed (Workflow) PAT is never touched"
        problem = super().refusal(action, credential, params)
        if problem is None and action == "narrow-scope":
            scope = params.get("scope")
            if not isinstance(scope, list | tuple) or not scope:
                return "narrow-scope needs a non-empty `scope` list in the policy"
            me = params.get("remediation_identity")
            if not me or credential.owner.id != me:
                return (
                    "SailPoint lets only a PAT's owner change its scope (PATCH needs "
                    "sp:my-personal-access-tokens:manage only); set remediation_identity to the "
                    "owner's identity id, or revoke instead"
                )
        return problem

    def request_for(
        self, action: str, credential: Credential, params: Mapping[str, Any]
    ) -> VendorRequest:
        path = PAT_PATH.format(id=quote(credential.id, safe=""))
        if action == "revoke":
            return VendorRequest("DELETE", path)
        if action == "narrow-scope":
            scope = [str(s) for s in params["scope"]]
            return VendorRequest(
                "PATCH", path, JSON_PATCH, [{"op": "replace", "path": "/scope", "value": scope}]
            )
        raise ValueError(f"SailPoint cannot {action}")

    def client(self) -> ApiClient:
        settings = self.settings
        http = settings.http
        if http.rate_limit is None:
            http = replace(http, rate_limit=RATE_LIMIT)
        return self.clients.client(
            tenant=settings.name,
            base_url=api_base_url(settings),
            settings=http,
            auth=SailPointTokenProvider(
                settings.client_id, settings.client_secret, tenant=settings.name
            ),
            error_parser=_with_tracking_id,
        )


def _with_tracking_id(response: httpx.Response) -> str | None:
    """The vendor text plus ``ErrorResponseDto.trackingId`` (spec idn/v3/schemas/
    ErrorResponseDto.yaml), which the receipt records as the vendor's request id."""
    text = parse_error(response)
    try:
        body = response.json()
    except ValueError:
        return text
    tracking = body.get("trackingId") if isinstance(body, dict) else None
    if isinstance(tracking, str) and tracking.strip():
        return f"{text or 'error'} (request-id: {tracking.strip()[:64]})"
    return text
