"""Each waiver's state after a scan: active, expiring (within 14 days), expired or stale.

"Stale" (matches nothing) is only said when we could check: a waiver scoped to a tenant that was
not collected completely (coverage ``failed`` or ``partial``) or not part of this scan stays
``active``/``expiring`` with a message saying its matches could not be checked, and so does an
unscoped waiver that matched nothing while some tenant was not collected completely.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from auditor.kernel.model import CoverageStatus, WaiverStatus
from policies.base import span
from policies.policy import Policy
from policies.waivers import EXPIRING_WINDOW, Waiver


class WaiverTally:
    """What the evaluator saw: tenants (with coverage) and matches per waiver id."""

    def __init__(self) -> None:
        self.tenants: dict[str, CoverageStatus] = {}
        self.counts: Counter[str] = Counter()

    def tenant_seen(self, tenant: str, status: CoverageStatus) -> None:
        self.tenants[tenant] = status

    def matched(self, waiver_id: str) -> None:
        self.counts[waiver_id] += 1


def waiver_statuses(
    waivers: Sequence[Waiver], tally: WaiverTally, policy: Policy, as_of: datetime
) -> tuple[WaiverStatus, ...]:
    return tuple(_status(w, tally, policy, as_of) for w in waivers)


def _status(waiver: Waiver, tally: WaiverTally, policy: Policy, as_of: datetime) -> WaiverStatus:
    matched = tally.counts[waiver.id]
    expiring = not waiver.expired_at(as_of) and waiver.expires - as_of <= EXPIRING_WINDOW
    if waiver.expired_at(as_of):
        state = "expired"
        message = f"expired on {waiver.expires_label}"
        if matched:
            message += f"; {matched} finding(s) it covered are open again"
    elif matched == 0 and (unchecked := _unchecked(waiver, tally)) is not None:
        state = "expiring" if expiring else "active"
        message = unchecked
    elif matched == 0:
        state = "stale"
        message = _stale_message(waiver, policy)
    elif expiring:
        state = "expiring"
        message = (
            f"expires in {span(waiver.expires - as_of)} ({waiver.expires_label}); "
            f"covers {matched} finding(s): renew it or fix them"
        )
    else:
        state = "active"
        message = f"covers {matched} finding(s)"
    return WaiverStatus(
        id=waiver.id,
        rule_id=waiver.rule_id,
        state=state,
        reason=waiver.reason,
        approved_by=waiver.approved_by,
        expires=waiver.expires,
        ticket=waiver.ticket,
        matched=matched,
        message=message,
    )


def _unchecked(waiver: Waiver, tally: WaiverTally) -> str | None:
    """Why matching could not be checked, or ``None`` when it could."""
    tenant = waiver.match.tenant
    if tenant is not None:
        status = tally.tenants.get(tenant)
        if status is None:
            return f"tenant {tenant} was not part of this scan; its matches could not be checked"
        if status == "failed":
            return f"tenant {tenant} could not be collected; its matches could not be checked"
        if status == "partial":
            # the credential it names may be one we did not collect: not evidence it is gone
            return (
                f"tenant {tenant} was collected only partially; its matches could not be fully "
                "checked"
            )
        return None
    incomplete = sorted(name for name, status in tally.tenants.items() if status != "complete")
    if incomplete:
        return (
            f"matches nothing in the collected tenants, but {len(incomplete)} tenant(s) were not "
            f"collected completely ({', '.join(incomplete)}), so it may still apply"
        )
    return None


def _stale_message(waiver: Waiver, policy: Policy) -> str:
    tenant = waiver.match.tenant
    settings = policy.for_tenant(tenant) if tenant else policy.rules
    rule = settings.get(waiver.rule_id)
    if rule is not None and not rule.enabled:
        return f"matches nothing: rule {waiver.rule_id} is disabled" + (
            f" for tenant {tenant}" if tenant else ""
        )
    return (
        f"matches no open finding of rule {waiver.rule_id}; remove it "
        "(the credentials it names pass or no longer exist)"
    )
