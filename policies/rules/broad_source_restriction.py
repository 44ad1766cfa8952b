"""``broad-source-restriction``: an allowed network wider than ``/min_prefix_v4|v6``.

"Wider" means a shorter prefix: with the default /16, 10.0.0.0/8 and 0.0.0.0/0 fail and
10.1.0.0/16 passes. No restriction at all is ``no-source-restriction``'s fact.

The networks judged are the effective ones: the credential's own list when it has one, else an
enforced list it inherits (``Credential.inherited_restriction``: ConductorOne's tenant-wide
API-key allow lists); evidence says which (``origin``). An inherited list that could not be
determined gives ``manual``, as the verdict depends on it.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from pydantic import Field

from auditor.kernel.model import Credential, Severity
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
            for i, (cidrs, inherited) in enumerate(
                zip(facts.allowed_cidrs, facts.inherited_restriction, strict=True)
            )
            if (
                any(n.prefixlen < (v4 if isinstance(n, IPv4Network) else v6) for n in cidrs)
                if cidrs
                else inherited is not None and inherited.state != "none"
            )
        ]

    def evaluate(
        self, credential: Credential, ctx: RuleContext[BroadSourceParams]
    ) -> Outcome | None:
        if not credential.capabilities.network_restriction:
            return not_applicable("network_restriction", credential)
        cidrs = credential.allowed_cidrs
        origin = "credential"
        if not cidrs:
            inherited = credential.inherited_restriction
            if inherited is None or inherited.state == "none":
                return None
            if inherited.state == "unknown":
                return (
                    "manual",
                    f"no source networks of its own, and the inherited allow list is unknown: "
                    f"{inherited.reason}",
                    {"allowed_cidrs": [], "inherited_state": inherited.state},
                )
            cidrs, origin = inherited.cidrs, inherited.origin
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
            f"/{v6} (IPv6): {', '.join(broad)}"
            + ("" if origin == "credential" else f" (inherited from {origin})"),
            {
                "allowed_cidrs": texts,
                "too_broad": broad,
                "min_prefix_v4": v4,
                "min_prefix_v6": v6,
                "origin": origin,
            },
        )
