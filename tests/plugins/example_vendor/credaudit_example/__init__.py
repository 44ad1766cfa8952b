"""An example vendor plug-in: three API tokens of a made-up vault, returned without a network.

Everything vendor-specific is declared here: the name, the labels reports use, the capabilities;
credaudit's kernel model, engine, rules and formats do the rest. ``ExampleProvider`` declares no
privilege judgement (``privileged-access`` is ``manual`` for its tokens); ``JudgedProvider``, the
same vault under another name, declares one (``VaultJudge``, with its own rule parameter) and a
remediation hint.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from auditor.kernel.model import (
    Capabilities,
    Credential,
    Owner,
    TenantCoverage,
    TenantInventory,
)
from auditor.kernel.privilege import PrivilegeJudge, PrivilegeOutcome, evidence
from providers.base import Provider

CAPABILITIES = Capabilities(network_restriction=False, expiry=True, last_used=True)


class ExampleProvider(Provider):
    name: ClassVar[str] = "example"
    label: ClassVar[str] = "Example Vault"
    credential_kind: ClassVar[str] = "Example Vault API token"
    needs_client_id: ClassVar[bool] = False  # one token, no client id
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    first_scopes: ClassVar[tuple[str, ...]] = ("read",)

    @classmethod
    def base_url_for(cls, settings: object) -> str:
        return "https://vault.example"

    async def collect(self) -> TenantInventory:
        tenant = self.settings.name

        def token(n: int, **facts: object) -> Credential:
            base: dict[str, object] = {
                "provider": self.name,
                "tenant": tenant,
                "id": f"tok-{n}",
                "name": f"token {n}",
                "owner": Owner(id=f"u{n}", name=f"User {n}", status="active"),
                "created_at": datetime(2026, 10, 1, tzinfo=UTC),
                "last_used_at": datetime(2026, 11, 20, tzinfo=UTC),
                "expires_at": datetime(2026, 12, 31, tzinfo=UTC),
                "scopes": ("read",),
                "scope_mode": "scoped",
                "capabilities": CAPABILITIES,
            }
            return Credential.model_validate({**base, **facts})

        credentials = (
            token(1, scopes=self.first_scopes),
            token(2, expires_at=None),  # no-expiry
            token(3, owner=Owner(id="u3", name="User 3", status="disabled")),  # inactive-owner
        )
        coverage = TenantCoverage(
            tenant=tenant, provider=self.name, status="complete", credential_count=3
        )
        return TenantInventory(coverage=coverage, credentials=credentials)


class VaultJudge(PrivilegeJudge):
    """A token is privileged when one of its scopes is in ``example_admin_scopes``."""

    params: ClassVar[Mapping[str, tuple[str, ...]]] = {"example_admin_scopes": ("vault:admin",)}

    def judge(self, credential: Credential, prepared: Any) -> PrivilegeOutcome | None:
        if credential.scope_mode == "full":
            return ("manual", "a full-access vault token: review its owner", evidence(credential))
        admin = prepared["example_admin_scopes"].select(credential.scopes)
        if not admin:
            return None
        return ("fail", f"administrative vault scope(s): {', '.join(admin)}", evidence(credential))


class JudgedProvider(ExampleProvider):
    name: ClassVar[str] = "example-judged"
    first_scopes: ClassVar[tuple[str, ...]] = ("read", "vault:admin")
    privilege_judge: ClassVar[PrivilegeJudge | None] = VaultJudge()
    remediation_hints: ClassVar[Mapping[str, str]] = {"no-expiry": "Example Vault: set a TTL"}
