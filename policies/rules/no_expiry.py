"""``no-expiry``: the credential never expires (``expires_at`` is null).

ConductorOne offers "never expires" (docs/vendors/conductorone.md §5); SailPoint v2025+ lets a PAT
never expire when ``expirationDate`` is null (docs/vendors/sailpoint.md §2.6).
"""

from __future__ import annotations

from auditor.kernel.model import Credential, Severity
from auditor.kernel.remediation import with_hints
from policies.base import NoParams, Outcome, Rule, RuleContext, not_applicable
from policies.facts import Facts


class NoExpiry(Rule[NoParams]):
    id = "no-expiry"
    title = "Credential never expires"
    description = "Fails when expires_at is null."
    default_severity: Severity = "high"
    params_model = NoParams

    @property
    def remediation(self) -> str:  # type: ignore[override]
        return with_hints(
            self.id,
            "Replace the credential with one that has an expiry date",
            ", then delete this one.",
        )

    requires = "expiry"

    def screen(self, facts: Facts, ctx: RuleContext[NoParams]) -> list[int]:
        return [i for i, expires in enumerate(facts.expires_at) if expires is None]

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        if not credential.capabilities.expiry:
            return not_applicable("expiry", credential)
        if credential.expires_at is not None:
            return None
        return _NO_EXPIRY


_NO_EXPIRY: Outcome = (
    "fail",
    "no expiry date is set, so the credential stays valid until someone deletes it",
    {"expires_at": None},
)
"""The same for every such credential, so one tuple is shared (its evidence is read-only, like
all evidence): tens of thousands of identical dicts cost memory and collector time."""
