"""ConductorOne remediation: revoking a personal client.

``DELETE /api/v1/iam/personal_clients/{id}`` (SPEC ``paths./api/v1/iam/personal_clients/{id}``
``delete``, operationId ``c1.api.iam.v1.PersonalClientService.Delete``: "Delete a personal client
credential, revoking it and preventing further API access"). The optional JSON body
``PersonalClientServiceDeleteRequestInput`` is an empty object; the official CLI sends none, and
treats a 404 as "already gone" (docs/vendors/conductorone.md §2.4). The id is URL-escaped and an
empty id refused: an empty segment would 301 to the collection (same section).

ConductorOne has no operation that narrows an existing client's scoped roles short of an Update
with ``updateMask`` (not used: an audit tool does not rewrite a key's roles), so only ``revoke``
is offered. The remediation credential needs the right to delete other users' personal clients;
which role grants it is not documented (docs/vendors/conductorone.md §2.4: [unknown]); the
simulated tenant requires Super Administrator, as Search does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from auditor.kernel.errors import ConfigError
from auditor.kernel.http import ApiClient
from auditor.kernel.model import Credential
from providers.base import ClientFactory, TenantSettings
from providers.conductorone.auth import AssertionTokenProvider, parse_client_secret
from providers.conductorone.normalise import parse_error
from providers.conductorone.settings import api_base_url
from providers.remediation import Remediator, VendorRequest

DELETE_PATH = "/api/v1/iam/personal_clients/{id}"


class ConductorOneRemediator(Remediator):
    actions: ClassVar[frozenset[str]] = frozenset({"revoke"})
    needs: ClassVar[Mapping[str, str]] = {
        "revoke": "delete other users' personal clients (Super Administrator in the simulated "
        "tenant; not documented by the vendor)",
    }

    def __init__(
        self,
        settings: TenantSettings,
        clients: ClientFactory,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(settings, clients)
        self.wall_clock = wall_clock
        """Real time for the client assertion's iat/exp (the server checks them)."""

    def request_for(
        self, action: str, credential: Credential, params: Mapping[str, Any]
    ) -> VendorRequest:
        if action != "revoke":
            raise ValueError(f"ConductorOne cannot {action}")
        if not credential.id.strip():
            raise ConfigError(
                "a personal client with an empty id cannot be deleted (the request would reach "
                "the collection)",
                key="plan.actions",
            )
        return VendorRequest("DELETE", DELETE_PATH.format(id=quote(credential.id, safe="")))

    def client(self) -> ApiClient:
        base_url = api_base_url(self.settings)
        auth = AssertionTokenProvider(
            self.settings.client_id.strip(),
            parse_client_secret(self.settings.client_secret.get_secret_value()),
            urlsplit(base_url).hostname or "",
            wall_clock=self.wall_clock,
        )
        return self.clients.client(
            tenant=self.settings.name,
            base_url=base_url,
            settings=self.settings.http,
            auth=auth,
            error_parser=parse_error,
        )
