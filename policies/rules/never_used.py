"""``never-used``: never used and created more than ``grace_days`` before as-of.

A credential whose creation time is unknown cannot be judged against the grace period: it is
``manual`` (never ``pass``: "never used" is a fact worth a human look). A credential created before
its vendor began recording last use (``Capabilities.last_used_since``) may have been used before
then: "never used" is not known, and ``stale`` judges it by the idle time since that instant.
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


class NeverUsedParams(Params):
    grace_days: int = Field(default=14, ge=0, le=3650)


class NeverUsed(Rule[NeverUsedParams]):
    id = "never-used"
    title = "Credential never used"
    description = (
        "Fails when last_used_at is null and created_at is more than grace_days x 24 h "
        "before as-of."
    )
    remediation = (
        "Delete the credential: it was minted but never used. Mint a new one when it is needed."
    )
    default_severity: Severity = "medium"
    params_model = NeverUsedParams
    requires = "last_used"

    def prepare(self, as_of: datetime, params: NeverUsedParams) -> datetime:
        """The earliest creation that is still within the grace period."""
        return as_of - params.grace_days * DAY

    def screen(self, facts: Facts, ctx: RuleContext[NeverUsedParams]) -> list[int]:
        cutoff = ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        pairs = zip(facts.last_used_at, facts.created_at, strict=True)
        return [
            i
            for i, (last, created) in enumerate(pairs)
            if last is None and (created is None or created < cutoff)
        ]

    def evaluate(self, credential: Credential, ctx: RuleContext[NeverUsedParams]) -> Outcome | None:
        if not credential.capabilities.last_used:
            return not_applicable("last_used", credential)
        if credential.last_used_at is not None:
            return None
        grace = ctx.params.grace_days
        created = credential.created_at
        since = credential.capabilities.last_used_since
        if created is not None and since is not None and created < since:
            return None  # stale's: use before `since` was never recorded
        if created is None:
            return (
                "manual",
                f"never used and its creation time is unknown, so the {grace}-day grace period "
                "cannot be checked",
                {"last_used_at": None, "created_at": None, "grace_days": grace},
            )
        if created >= (ctx.prepared or self.prepare(ctx.as_of, ctx.params)):
            return None
        age = ctx.as_of - created
        return (
            "fail",
            f"never used; created {span(age, grace)} ago; grace period {grace} days",
            {
                "last_used_at": None,
                "created_at": iso(created),
                "as_of": ctx.as_of_iso,
                "age_seconds": int(age.total_seconds()),
                "grace_days": grace,
            },
        )
