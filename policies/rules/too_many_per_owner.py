"""``too-many-per-owner``: an owner holds more than ``max_per_owner`` unexpired credentials.

The count is per tenant (owner ids are tenant-local) over credentials that are neither expired at
as-of nor deleted; the evaluator computes it once per tenant (``RuleContext.owner_counts``). Every
unexpired credential of such an owner fails, so each one can be waived or removed on its own.
A credential without an owner id cannot be counted: ``manual``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from auditor.model import Credential, Severity
from policies.base import Outcome, Params, Rule, RuleContext


class TooManyParams(Params):
    max_per_owner: int = Field(default=5, ge=1, le=100000)


def counts_toward_owner(credential: Credential, as_of: datetime) -> bool:
    """Unexpired and not deleted: what the limit counts."""
    expires = credential.expires_at
    return credential.deleted_at is None and (expires is None or expires > as_of)


class TooManyPerOwner(Rule[TooManyParams]):
    id = "too-many-per-owner"
    title = "Owner holds too many credentials"
    description = (
        "Fails for each unexpired credential of an owner who holds more than max_per_owner "
        "unexpired credentials in the tenant."
    )
    remediation = (
        "Ask the owner to consolidate: delete the credentials that are no longer used and keep "
        "one per integration."
    )
    default_severity: Severity = "low"
    params_model = TooManyParams
    needs_owner_counts = True

    def evaluate(self, credential: Credential, ctx: RuleContext[TooManyParams]) -> Outcome | None:
        owner_id = credential.owner.id
        limit = ctx.params.max_per_owner
        if owner_id is None:
            return (
                "manual",
                "the owner is unknown, so the credentials per owner cannot be counted",
                {"owner_id": None, "max_per_owner": limit},
            )
        count = ctx.owner_counts.get(owner_id, 0)
        if count <= limit or not counts_toward_owner(credential, ctx.as_of):
            return None
        return (
            "fail",
            f"owner {owner_id} holds {count} unexpired credentials in tenant {ctx.tenant}; "
            f"limit {limit}",
            {"owner_id": owner_id, "unexpired_credentials": count, "max_per_owner": limit},
        )
