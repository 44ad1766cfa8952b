"""``owner-unverified``: the owner lookup was refused or failed (status ``unknown``): ``manual``.

Its result is counted in ``result_counts``; its row is folded into the same credential's
``inactive-owner`` manual when there is one (``policies.onerow``: one cause, one row), and stands
on its own otherwise (``inactive-owner`` disabled or waived)."""

from __future__ import annotations

from auditor.kernel.model import Credential, Severity
from policies.base import NoParams, Outcome, Rule, RuleContext
from policies.facts import Facts
from policies.rules.inactive_owner import owner_label


class OwnerUnverified(Rule[NoParams]):
    id = "owner-unverified"
    title = "Owner could not be verified"
    description = "Manual when the owner's status is unknown (the lookup was refused or failed)."
    remediation = (
        "Give the auditing credential the right to read users/identities, or confirm the owner "
        "by hand in the vendor's console."
    )
    default_severity: Severity = "medium"
    params_model = NoParams

    def screen(self, facts: Facts, ctx: RuleContext[NoParams]) -> list[int]:
        return [i for i, status in enumerate(facts.owner_status) if status == "unknown"]

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        if credential.owner.status != "unknown":
            return None
        return (
            "manual",
            f"owner {owner_label(credential)} could not be looked up; verify it by hand",
            {
                "owner_id": credential.owner.id,
                "owner_status": "unknown",
                "owner_status_reason": credential.owner.status_reason,
                "notes": list(credential.notes),
            },
        )
