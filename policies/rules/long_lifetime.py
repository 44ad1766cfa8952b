"""``long-lifetime``: ``expires_at - created_at`` longer than ``max_lifetime_days``.

A null expiry is ``no-expiry``'s fact, so this rule passes it. An expiry without a known creation
time cannot be measured: ``manual``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


class LongLifetimeParams(Params):
    max_lifetime_days: int = Field(default=365, ge=1, le=36500)


class LongLifetime(Rule[LongLifetimeParams]):
    id = "long-lifetime"
    title = "Credential lifetime too long"
    description = (
        "Fails when expires_at - created_at is more than max_lifetime_days x 24 h. "
        "A null expiry is judged by no-expiry."
    )
    remediation = (
        "Replace the credential with one whose lifetime is within the limit and rotate it "
        "before it expires."
    )
    default_severity: Severity = "medium"
    params_model = LongLifetimeParams
    requires = "expiry"

    def prepare(self, as_of: datetime, params: LongLifetimeParams) -> timedelta:
        return params.max_lifetime_days * DAY

    def screen(self, facts: Facts, ctx: RuleContext[LongLifetimeParams]) -> list[int]:
        limit = ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        pairs = zip(facts.expires_at, facts.created_at, strict=True)
        return [
            i
            for i, (expires, created) in enumerate(pairs)
            if expires is not None and (created is None or expires - created > limit)
        ]

    def evaluate(
        self, credential: Credential, ctx: RuleContext[LongLifetimeParams]
    ) -> Outcome | None:
        if not credential.capabilities.expiry:
            return not_applicable("expiry", credential)
        expires = credential.expires_at
        if expires is None:
            return None
        limit = ctx.params.max_lifetime_days
        created = credential.created_at
        if created is None:
            return (
                "manual",
                f"expires {iso(expires)} but its creation time is unknown, so the lifetime "
                f"cannot be compared with the {limit}-day limit",
                {"created_at": None, "expires_at": iso(expires), "max_lifetime_days": limit},
            )
        lifetime = expires - created
        if lifetime <= (ctx.prepared or self.prepare(ctx.as_of, ctx.params)):
            return None
        created_iso, expires_iso = iso(created), iso(expires)
        return (
            "fail",
            f"lifetime {span(lifetime, limit)} (created {created_iso}, expires {expires_iso}); "
            f"limit {limit} days",
            {
                "created_at": created_iso,
                "expires_at": expires_iso,
                "lifetime_seconds": int(lifetime.total_seconds()),
                "max_lifetime_days": limit,
            },
        )
