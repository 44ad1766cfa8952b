"""``broad-source-restriction``: an allowed network wider than ``/min_prefix_v4|v6``.

"Wider" means a shorter prefix: with the default /16, 10.0.0.0/8 and 0.0.0.0/0 fail and
10.1.0.0/16 passes. No restriction at all is ``no-source-restriction``'s fact.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from pydantic import Field

from auditor.model import Credential, Severity
from policies.base import Outcome, Params, Rule, RuleContext, not_applicable
from policies.facts import Facts


class BroadSourceParams(Params):
    min_prefix_v4: int = Field(default=16, ge=0, le=32)
    min_prefix_v6: int = Field(default=48, ge=0, le=128)


class BroadSourceRestriction(Rule[BroadSourceParams]):
    id = "broad-source-restriction"
    title = "Source network restriction too broad"
    description = (
        "Fails when an allowed network is wider than /min_prefix_v4 (IPv4) or /min_prefix_v6 "
        "(IPv6); 0.0.0.0/0 and ::/0 included."
    )
    remediation = "Narrow the allowed networks to the addresses the credential is really used from."
    default_severity: Severity = "medium"
    params_model = BroadSourceParams
    requires = "network_restriction"

    def screen(self, facts: Facts, ctx: RuleContext[BroadSourceParams]) -> list[int]:
        v4, v6 = ctx.params.min_prefix_v4, ctx.params.min_prefix_v6
        return [
            i
            for i, cidrs in enumerate(facts.allowed_cidrs)
            if cidrs
            and any(n.prefixlen < (v4 if isinstance(n, IPv4Network) else v6) for n in cidrs)
        ]

    def evaluate(
        self, credential: Credential, ctx: RuleContext[BroadSourceParams]
    ) -> Outcome | None:
        if not credential.capabilities.network_restriction:
            return not_applicable("network_restriction", credential)
        cidrs = credential.allowed_cidrs
        if not cidrs:
            return None
        v4 = ctx.params.min_prefix_v4
        v6 = ctx.params.min_prefix_v6
        for net in cidrs:  # a plain loop: the common case (all narrow) allocates nothing
            if net.prefixlen < (v4 if isinstance(net, IPv4Network) else v6):
                break
        else:
            return None
        texts = [str(net) for net in cidrs]  # each network formatted once (ipaddress: ~1 µs)
        broad = [
            text
            for net, text in zip(cidrs, texts, strict=True)
            if net.prefixlen < (v4 if isinstance(net, IPv4Network) else v6)
        ]
        return (
            "fail",
            f"{len(broad)} of {len(cidrs)} allowed networks are wider than /{v4} (IPv4) or "
            f"/{v6} (IPv6): {', '.join(broad)}",
            {
                "allowed_cidrs": texts,
                "too_broad": broad,
                "min_prefix_v4": v4,
                "min_prefix_v6": v6,
            },
        )
