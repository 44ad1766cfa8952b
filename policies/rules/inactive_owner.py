"""``inactive-owner``: the owner is disabled, deleted or could not be found.

The status is the adapter's reading of every source it has (ConductorOne: ``status``,
``directoryStatus`` and ``employmentStatus``); ``Owner.status_reason`` says why when the vendor's
own status alone does not, and ``Owner.kind`` (a service or agent user) is shown with it.
An owner whose status is ``unknown`` (lookup refused or failed) cannot be confirmed active, so this
rule is ``manual`` for it, never ``pass``, with the reason (``Owner.status_reason``) in its
message. ``owner-unverified`` is ``manual`` for the same credential; the evaluator folds that
result into this rule's row (``policies.onerow``): one cause, one row, both results counted.
"""

from __future__ import annotations

from auditor.kernel.model import Credential, Severity
from policies.base import NoParams, Outcome, Rule, RuleContext
from policies.facts import Facts

INACTIVE = frozenset({"disabled", "deleted", "not_found"})
STATUS_WORDS = {
    "disabled": "is disabled",
    "deleted": "is deleted",
    "not_found": "was not found (no such user in the vendor's directory)",
}
"""The owner statuses in words for messages (``status`` stays in the evidence, as it is)."""


def owner_label(credential: Credential) -> str:
    owner = credential.owner
    if owner.name and owner.id:
        return f"{owner.name} ({owner.id})"
    return owner.name or owner.id or "with no id"


class InactiveOwner(Rule[NoParams]):
    id = "inactive-owner"
    title = "Owner is no longer active"
    description = "Fails when the owner's status is disabled, deleted or not_found."
    remediation = (
        "Delete the credential (or transfer the integration to an active owner's new credential): "
        "it outlives the person it belongs to."
    )
    default_severity: Severity = "critical"
    params_model = NoParams

    def screen(self, facts: Facts, ctx: RuleContext[NoParams]) -> list[int]:
        return [i for i, status in enumerate(facts.owner_status) if status != "active"]

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        status = credential.owner.status
        if status == "active":
            return None
        owner = credential.owner
        evidence = {"owner_id": owner.id, "owner_status": status}
        if owner.status_reason is not None:
            evidence["owner_status_reason"] = owner.status_reason
        if owner.kind is not None:
            evidence["owner_kind"] = owner.kind
        if status in INACTIVE:
            why = f" ({owner.status_reason})" if owner.status_reason else ""
            return (
                "fail",
                f"owner {owner_label(credential)} {STATUS_WORDS[status]}{why}",
                evidence,
            )
        reason = owner.status_reason or "the owner lookup was refused or failed"
        return (
            "manual",
            f"owner {owner_label(credential)} could not be verified ({reason}), so it may be "
            "inactive: confirm it in the vendor's console, or let the scan read owners",
            evidence,
        )
