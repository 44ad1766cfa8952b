"""``expiring-soon``: expires within ``warn_days`` after as-of.

Only a future expiry is this rule's fact; a past one is ``expired``'s and a null one
``no-expiry``'s. "Within N days" includes the boundary: expiring exactly N x 24 h after as-of fails.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from auditor.kernel.model import Credential, Severity
from policies.base import (
    DAY,
    Outcome,
    Params,
    Rule,
    RuleContext,
    iso,
    not_applicable,
    span,
)
from policies.facts import Facts


class ExpiringSoonParams(Params):
    warn_days: int = Field(default=14, ge=0, le=3650)


class ExpiringSoon(Rule[ExpiringSoonParams]):
    id = "expiring-soon"
    title = "Credential expires soon"
    description = "Fails when as-of < expires_at ≤ as-of + warn_days x 24 h."
    remediation = (
        "Ask the owner to mint a replacement and move its users to it before the expiry, "
        "or let it lapse if it is no longer needed."
    )
    default_severity: Severity = "info"
    params_model = ExpiringSoonParams
    requires = "expiry"

    def prepare(self, as_of: datetime, params: ExpiringSoonParams) -> datetime:
        """The last expiry instant inside the warning window."""
        return as_of + params.warn_days * DAY

    def screen(self, facts: Facts, ctx: RuleContext[ExpiringSoonParams]) -> list[int]:
        as_of, last = ctx.as_of, ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        return [
            i
            for i, expires in enumerate(facts.expires_at)
            if expires is not None and as_of < expires <= last
        ]

    def evaluate(
        self, credential: Credential, ctx: RuleContext[ExpiringSoonParams]
    ) -> Outcome | None:
        if not credential.capabilities.expiry:
            return not_applicable("expiry", credential)
        expires = credential.expires_at
        if (
            expires is None
            or expires <= ctx.as_of
            or expires > (ctx.prepared or self.prepare(ctx.as_of, ctx.params))
        ):
            return None
        left = expires - ctx.as_of
        warn = ctx.params.warn_days
        expires_iso = iso(expires)
        return (
            "fail",
            f"expires in {span(left)} ({expires_iso}); warning window {warn} days",
            {
                "expires_at": expires_iso,
                "as_of": ctx.as_of_iso,
                "remaining_seconds": int(left.total_seconds()),
                "warn_days": warn,
            },
        )
