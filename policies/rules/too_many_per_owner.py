"""``too-many-per-owner``: an owner holds more than ``max_per_owner`` unexpired credentials.

The count is per tenant (owner ids are tenant-local) over credentials that are neither expired at
as-of nor deleted; the evaluator computes it once per tenant (``RuleContext.owner_counts``). Every
unexpired credential of such an owner fails, so each one can be waived or removed on its own.
A credential without an owner id cannot be counted: ``manual``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import Field

from auditor.kernel.model import Credential, Severity
from policies.base import Outcome, Params, Rule, RuleContext
from policies.facts import Facts


class TooManyParams(Params):
    max_per_owner: int = Field(default=5, ge=1, le=100000)


def counts_toward_owner(credential: Credential, as_of: datetime) -> bool:
    """Unexpired and not deleted: what the limit counts."""
    return _counts(credential.expires_at, credential.deleted_at, as_of)


def _counts(expires: datetime | None, deleted: datetime | None, as_of: datetime) -> bool:
    return deleted is None and (expires is None or expires > as_of)


def owner_counts(facts: Facts, as_of: datetime) -> Counter[str]:
    """(owner id → credentials that count toward the limit) over one tenant's ``facts``."""
    rows = zip(facts.owner_id, facts.expires_at, facts.deleted_at, strict=True)
    return Counter(
        [  # _counts, inlined: a call per credential was a third of this function's time
            owner_id
            for owner_id, expires, deleted in rows
            if owner_id is not None and deleted is None and (expires is None or expires > as_of)
        ]
    )


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

    def screen(self, facts: Facts, ctx: RuleContext[TooManyParams]) -> list[int]:
        limit = ctx.params.max_per_owner
        over = {owner_id for owner_id, count in ctx.owner_counts.items() if count > limit}
        over.add(None)  # type: ignore[arg-type]  # no owner id: manual
        return [i for i, owner_id in enumerate(facts.owner_id) if owner_id in over]

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
