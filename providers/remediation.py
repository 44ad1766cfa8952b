"""The remediation contract: what a vendor declares so ``credaudit remediate`` can act on it.

A provider that supports remediation sets ``Provider.remediator`` to a ``Remediator`` subclass
(vendor knowledge stays in ``providers/<vendor>/remediate.py``). The application plans and
approves actions without any vendor knowledge, asks the remediator for the exact request an action
is (``request_for``: pure, so a dry run prints exactly what ``--execute`` sends), and sends it
through the kernel HTTP layer with the tenant's *remediation* credential (``client``), never the
read-only scanning one.

Outcomes are vendor-neutral: ``done`` (the vendor confirmed), ``already-gone`` (a delete answered
404: the credential no longer exists, e.g. deleted between plan and apply, or a retried DELETE
whose first response was lost), ``failed`` (any other answer; ``detail`` says which).
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from auditor.kernel.errors import ProviderError, ResponseError
from auditor.kernel.http import ApiClient
from auditor.kernel.model import Credential
from providers.base import ClientFactory, TenantSettings

__all__ = ["ACTIONS", "Remediator", "VendorOutcome", "VendorRequest"]

ACTIONS = ("revoke", "narrow-scope", "notify-owner")
"""Every action a plan may hold; ``notify-owner`` never reaches a vendor."""

_REQUEST_ID = re.compile(r"request-id:\s*([A-Za-z0-9._-]{1,128})")


@dataclass(frozen=True)
class VendorRequest:
    """One request, exactly as it will be sent (path relative to the tenant's API base URL)."""

    method: str
    path: str
    content_type: str | None = None
    body: Any = None
    """JSON-serialisable; ``None``: no body."""

    def content(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body, separators=(",", ":")).encode()

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "content_type": self.content_type,
            "body": self.body,
        }


@dataclass(frozen=True)
class VendorOutcome:
    result: Literal["done", "already-gone", "failed"]
    status: int | None
    """The final HTTP status (``None``: no response, e.g. a transport error)."""
    request_id: str | None = None
    """The vendor's request id when its answer carries one (see each vendor's notes)."""
    detail: str = ""
    attempts: int = 1


class Remediator(ABC):
    """One tenant's write operations. Subclasses live in ``providers/<vendor>/remediate.py``."""

    actions: ClassVar[frozenset[str]] = frozenset()
    """Which of ``ACTIONS`` (other than ``notify-owner``) this vendor can carry out."""
    needs: ClassVar[Mapping[str, str]] = {}
    """Action → the right the remediation credential needs (README's least-privilege table)."""

    def __init__(self, settings: TenantSettings, clients: ClientFactory) -> None:
        self.settings = settings
        """The tenant with its *remediation* credential in ``client_id``/``client_secret``."""
        self.clients = clients

    def refusal(self, action: str, credential: Credential, params: Mapping[str, Any]) -> str | None:
        """Why the vendor does not allow ``action`` on ``credential`` (``None``: allowed)."""
        if action not in self.actions:
            return f"the vendor API offers no {action} operation for this credential kind"
        return None

    @abstractmethod
    def request_for(
        self, action: str, credential: Credential, params: Mapping[str, Any]
    ) -> VendorRequest:
        """The exact request that carries out ``action``; no network."""

    @abstractmethod
    def client(self) -> ApiClient:
        """An authenticated client (the remediation credential) for this tenant."""

    async def send(self, api: ApiClient, request: VendorRequest) -> VendorOutcome:
        """Send through the kernel HTTP layer (its rate limits and retries: DELETE is idempotent
        and retried, PATCH is not). A DELETE answered 404 is ``already-gone``, also after a retry
        whose earlier response was lost."""
        headers = {"Content-Type": request.content_type} if request.content_type else None
        before = api.stats.retries
        try:
            response = await api.request(
                request.method, request.path, content=request.content(), headers=headers
            )
        except ResponseError as exc:
            attempts = 1 + api.stats.retries - before
            rid = self.request_id_of(exc.vendor_message or exc.message)
            if exc.status_code == 404 and request.method == "DELETE":
                return VendorOutcome(
                    "already-gone", 404, rid, "the vendor says it does not exist", attempts
                )
            return VendorOutcome("failed", exc.status_code, rid, exc.message, attempts)
        except ProviderError as exc:
            return VendorOutcome("failed", None, None, exc.message, 1 + api.stats.retries - before)
        return VendorOutcome(
            "done",
            response.status_code,
            self.request_id_of(response.text),
            "",
            1 + api.stats.retries - before,
        )

    @staticmethod
    def request_id_of(text: str | None) -> str | None:
        found = _REQUEST_ID.search(text or "")
        return found.group(1) if found else None
