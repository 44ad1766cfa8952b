"""``full-owner-access``: the credential inherits every permission of its owner.

ConductorOne: empty ``scopedRoles`` means "Full Permissions" (docs/vendors/conductorone.md §5).
SailPoint: a null scope or one containing ``sp:scopes:all`` grants every right of the owner's user
level (docs/vendors/sailpoint.md §3). The adapters normalise both to ``scope_mode == "full"``;
``unknown`` is ``manual``.
"""

from __future__ import annotations

from auditor.kernel.model import Credential, Severity
from auditor.kernel.remediation import with_hints
from policies.base import NoParams, Outcome, Rule, RuleContext
from policies.facts import Facts


class FullOwnerAccess(Rule[NoParams]):
    id = "full-owner-access"
    title = "Credential inherits all of its owner's access"
    description = "Fails when scope_mode is full; manual when the scope could not be determined."
    default_severity: Severity = "high"
    params_model = NoParams

    @property
    def remediation(self) -> str:  # type: ignore[override]
        return with_hints(
            self.id, "Replace the credential with one scoped to the roles or scopes its job needs"
        )

    def screen(self, facts: Facts, ctx: RuleContext[NoParams]) -> list[int]:
        return [i for i, mode in enumerate(facts.scope_mode) if mode != "scoped"]

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        mode = credential.scope_mode
        if mode == "scoped":
            return None
        evidence = {"scope_mode": mode, "scopes": list(credential.scopes)}
        if mode == "unknown":
            return ("manual", "the credential's scope could not be determined; review it", evidence)
        return (
            "fail",
            f"not scoped: holds every permission of its owner ({_scopes(credential)})",
            evidence,
        )


def _scopes(credential: Credential) -> str:
    """The scopes in words: "no scope set", "1 scope listed: sp:scopes:all", "3 scopes listed:
    a, b, c" (at most 3 named)."""
    scopes = credential.scopes
    if not scopes:
        return "no scope set"
    shown = ", ".join(scopes[:3]) + (", …" if len(scopes) > 3 else "")
    return f"{len(scopes)} scope{'s' if len(scopes) != 1 else ''} listed: {shown}"
