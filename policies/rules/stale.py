"""``stale``: a credential last used longer ago than ``max_idle_days``.

Each fact is judged by one rule (DESIGN.md): a credential that was never used has no last use, so
it is ``never-used``'s, and ``stale`` passes it.

SailPoint refreshes ``lastUsed`` at most once a day (sailpoint.md §2.6, §6), so the recorded value
may lag the true last use by up to ``last_used_granularity_seconds``. Decision: by default the
rule judges the recorded ``last_used_at`` exactly as the public contract says. That never misses
a credential whose true idle time exceeds the limit (what CIS 5.3 and PCI DSS 8.2.6 ask for); the
price is that a SailPoint token may be reported up to one day early, which the evidence makes
visible (``last_used_granularity_seconds``). ``granularity_tolerance: true`` flips the trade-off:
the limit is extended by the granularity so that every finding is certain (none early), at the
cost of reporting a truly idle token up to one day late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from auditor.model import Credential, Severity
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


class StaleParams(Params):
    max_idle_days: int = Field(default=90, ge=1, le=3650)
    granularity_tolerance: bool = False


class Stale(Rule[StaleParams]):
    id = "stale"
    title = "Credential unused for too long"
    description = (
        "Fails when last_used_at is more than max_idle_days x 24 h before as-of. "
        "A never-used credential is judged by never-used."
    )
    remediation = (
        "Delete the credential if nobody needs it any more; otherwise confirm with its owner "
        "that it is still required and record why it is idle."
    )
    default_severity: Severity = "high"
    params_model = StaleParams
    requires = "last_used"

    def prepare(self, as_of: datetime, params: StaleParams) -> datetime:
        """The oldest last use that still passes (without granularity tolerance)."""
        return as_of - params.max_idle_days * DAY

    def screen(self, facts: Facts, ctx: RuleContext[StaleParams]) -> list[int]:
        cutoff = ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        column = facts.last_used_at
        return [i for i, last in enumerate(column) if last is not None and last < cutoff]

    def evaluate(self, credential: Credential, ctx: RuleContext[StaleParams]) -> Outcome | None:
        caps = credential.capabilities
        if not caps.last_used:
            return not_applicable("last_used", credential)
        last = credential.last_used_at
        if last is None or last >= (ctx.prepared or self.prepare(ctx.as_of, ctx.params)):
            return None
        params = ctx.params
        idle = ctx.as_of - last
        granularity = caps.last_used_granularity_seconds
        tolerance = timedelta(seconds=granularity if params.granularity_tolerance else 0)
        if tolerance and idle <= params.max_idle_days * DAY + tolerance:
            return None
        recorded = " (recorded at most daily)" if granularity >= 86400 else ""
        return (
            "fail",
            f"last used {span(idle, params.max_idle_days)} ago{recorded}; "
            f"limit {params.max_idle_days} days"
            + (f" + {span(tolerance)} tolerance" if tolerance else ""),
            {
                "last_used_at": iso(last),
                "as_of": ctx.as_of_iso,
                "idle_seconds": int(idle.total_seconds()),
                "max_idle_days": params.max_idle_days,
                "last_used_granularity_seconds": granularity,
                "granularity_tolerance": params.granularity_tolerance,
            },
        )
