"""``stale``: a credential last used longer ago than ``max_idle_days``.

Each fact is judged by one rule (docs/architecture.md): a credential that was never used has no last
use, so it is ``never-used``'s, and ``stale`` passes it. One exception: a vendor that began
recording last use only at some instant (``Capabilities.last_used_since``; SailPoint 2023-02-02)
says nothing about use before it. A credential created before that instant with no recorded use has
been idle *at least since* that instant; ``stale`` judges it with that idle time (a lower bound, so
a fail is certain) and ``never-used`` passes it.

SailPoint refreshes ``lastUsed`` at most once a day (docs/vendors/sailpoint.md §2.6, §6), so the
recorded value may lag the true last use by up to ``last_used_granularity_seconds``. Decision: by
default the rule judges the recorded ``last_used_at`` exactly as the public contract says. That
never misses a credential whose true idle time exceeds the limit (what CIS 5.3 and PCI DSS 8.2.6 ask
for); the price is that a SailPoint token may be reported up to one day early, which the evidence
makes visible (``last_used_granularity_seconds``). ``granularity_tolerance: true`` flips the
trade-off: the limit is extended by the granularity so that every finding is certain (none early),
at the cost of reporting a truly idle token up to one day late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from auditor.kernel.model import Capabilities, Credential, Severity
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
        rows = zip(facts.last_used_at, facts.created_at, facts.capabilities, strict=True)
        return [
            i
            for i, (last, created, caps) in enumerate(rows)
            if (last < cutoff if last is not None else _unrecorded(created, caps, cutoff))
        ]

    def evaluate(self, credential: Credential, ctx: RuleContext[StaleParams]) -> Outcome | None:
        caps = credential.capabilities
        if not caps.last_used:
            return not_applicable("last_used", credential)
        cutoff = ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        last = credential.last_used_at
        if last is None:
            if _unrecorded(credential.created_at, caps, cutoff):
                return _unrecorded_outcome(credential, ctx)
            return None
        if last >= cutoff:
            return None
        params = ctx.params
        idle = ctx.as_of - last
        granularity = caps.last_used_granularity_seconds
        tolerance = _tolerance(caps, params)
        if tolerance and idle <= params.max_idle_days * DAY + tolerance:
            return None
        recorded = " (recorded at most daily)" if granularity >= 86400 else ""
        limit = _limit(params, tolerance)
        return (
            "fail",
            f"last used {span(idle, params.max_idle_days)} ago{recorded}; {limit}",
            _evidence(ctx, params, caps, last=iso(last), idle=idle),
        )


def _tolerance(caps: Capabilities, params: StaleParams) -> timedelta:
    return timedelta(
        seconds=caps.last_used_granularity_seconds if params.granularity_tolerance else 0
    )


def _limit(params: StaleParams, tolerance: timedelta) -> str:
    extra = f" + {span(tolerance)} tolerance" if tolerance else ""
    return f"limit {params.max_idle_days} days{extra}"


def _evidence(
    ctx: RuleContext[StaleParams],
    params: StaleParams,
    caps: Capabilities,
    *,
    last: str | None,
    idle: timedelta,
) -> dict[str, object]:
    return {
        "last_used_at": last,
        "as_of": ctx.as_of_iso,
        "idle_seconds": int(idle.total_seconds()),
        "max_idle_days": params.max_idle_days,
        "last_used_granularity_seconds": caps.last_used_granularity_seconds,
        "granularity_tolerance": params.granularity_tolerance,
    }


def _unrecorded(created: datetime | None, caps: Capabilities, cutoff: datetime) -> bool:
    """No recorded use, created before the vendor recorded use, and created before the cutoff:
    the idle time is somewhere between ``as_of - last_used_since`` and ``as_of - created``, and
    the longer end is over the limit."""
    since = caps.last_used_since
    return since is not None and created is not None and created < since and created < cutoff


def _unrecorded_outcome(credential: Credential, ctx: RuleContext[StaleParams]) -> Outcome:
    """``fail`` when even the shortest possible idle time (since recording began) is over the
    limit; otherwise ``manual``: it may have been used just before recording began, or never."""
    caps, params = credential.capabilities, ctx.params
    since, created = caps.last_used_since, credential.created_at
    assert since is not None and created is not None  # _unrecorded checked both
    least = ctx.as_of - since
    tolerance = _tolerance(caps, params)
    limit = _limit(params, tolerance)
    evidence = _evidence(ctx, params, caps, last=None, idle=least)
    evidence["created_at"] = iso(created)
    evidence["last_used_recorded_since"] = iso(since)
    if least > params.max_idle_days * DAY + tolerance:
        return (
            "fail",
            f"no use recorded since the vendor began recording last use on {since:%Y-%m-%d} "
            f"(created {created:%Y-%m-%d}, before that): idle for at least "
            f"{span(least, params.max_idle_days)}, not never used; {limit}",
            evidence,
        )
    return (
        "manual",
        f"no use recorded since the vendor began recording last use on {since:%Y-%m-%d} "
        f"({span(least)} ago, within the limit), but created {created:%Y-%m-%d}, before that: "
        f"idle for between {span(least)} and {span(ctx.as_of - created)}; {limit}",
        evidence,
    )
