"""``no-source-restriction``: the vendor supports CIDR limits and none is set.

ConductorOne ``allowSourceCidr`` (docs/vendors/conductorone.md §2.1, §5); SailPoint PATs have no
per-token network restriction, so their capability is false and the rule is ``not_applicable``.

The restriction judged is the *effective* one: a credential without its own list that inherits an
enforced list from outside its record (``Credential.inherited_restriction``, e.g. ConductorOne's
tenant-wide API-key allow lists) is restricted, and passes; one for which that could not be
determined (the settings were unreadable) is ``manual``, never a silent pass or fail.
"""

from __future__ import annotations

from auditor.kernel.model import Credential, Severity
from auditor.kernel.remediation import with_hints
from policies.base import NoParams, Outcome, Rule, RuleContext, not_applicable
from policies.facts import Facts


class NoSourceRestriction(Rule[NoParams]):
    id = "no-source-restriction"
    title = "No source network restriction"
    description = "Fails when the vendor supports source CIDR limits and the credential has none."
    default_severity: Severity = "medium"
    params_model = NoParams

    @property
    def remediation(self) -> str:  # type: ignore[override]
        return with_hints(self.id, "Limit the credential to the networks it is used from")

    requires = "network_restriction"

    def screen(self, facts: Facts, ctx: RuleContext[NoParams]) -> list[int]:
        return [i for i, cidrs in enumerate(facts.allowed_cidrs) if not cidrs]

    def evaluate(self, credential: Credential, ctx: RuleContext[NoParams]) -> Outcome | None:
        if not credential.capabilities.network_restriction:
            return not_applicable("network_restriction", credential)
        if credential.allowed_cidrs:
            return None
        inherited = credential.inherited_restriction
        if inherited is None or inherited.state == "none":
            return _UNRESTRICTED
        if inherited.state == "enforced":
            return None
        return (
            "manual",
            f"no source networks of its own; whether an inherited allow list restricts it is "
            f"unknown: {inherited.reason}",
            {"allowed_cidrs": [], "inherited_state": inherited.state, "origin": inherited.origin},
        )


_UNRESTRICTED: Outcome = (
    "fail",
    "usable from any network: 0 source networks are configured and no inherited allow list applies",
    {"allowed_cidrs": []},
)
"""Shared by every such credential (evidence is read-only), as in ``no_expiry``."""
