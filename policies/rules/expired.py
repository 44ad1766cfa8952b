"""``expired``: ``expires_at`` ≤ as-of and the credential still exists.

An expired credential cannot mint tokens any more (docs/vendors/conductorone.md §5,
docs/vendors/sailpoint.md §8.4), so the risk is low; the finding asks for the clean-up. A credential
with ``deleted_at`` set no longer exists and passes.
"""

from __future__ import annotations

from auditor.kernel.model import Credential, Severity
from policies.base import NoParams, Outcome, Rule, RuleContext, iso, not_applicable, span
from policies.facts import Facts


class Expired(Rule[NoParams]):
    id = "expired"
    title = "Expired credential still present"
    description = "Fails when expires_at ≤ as-of and the credential has not been deleted."
    remediation = "Delete the expired credential so the inventory only holds usable credentials."
    default_severity: Severity = "low"
    params_model = NoParams
    requires = "expiry"

    def screen(self, facts: Facts, ctx: RuleContext[NoParams]) -> list[int]:
        as_of = ctx.as_of
        pairs = zip(facts.expires_at, facts.deleted_at, strict=True)
        return [
            i
            for i, (expires, deleted) in enumerate(pairs)
            if expires is not None and expires <= as_of and deleted is None
        ]

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        if not credential.capabilities.expiry:
            return not_applicable("expiry", credential)
        expires = credential.expires_at
        if expires is None or expires > ctx.as_of or credential.deleted_at is not None:
            return None
        expires_iso = iso(expires)
        return (
            "fail",
            f"expired {span(ctx.as_of - expires)} ago ({expires_iso}) but still exists",
            {"expires_at": expires_iso, "as_of": ctx.as_of_iso, "deleted_at": None},
        )
