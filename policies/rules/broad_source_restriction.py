"""``broad-source-restriction``: an allowed network wider than ``/min_prefix_v4|v6``.

"Wider" means a shorter prefix: with the default /16, 10.0.0.0/8 and 0.0.0.0/0 fail and
10.1.0.0/16 passes. No restriction at all is ``no-source-restriction``'s fact.

The networks judged are the effective ones: the credential's own list, together with every
enforced list that may apply from outside its record (``Credential.inherited_restriction``:
ConductorOne's tenant-wide API-key allow lists). ConductorOne says only that per-key lists are
"evaluated first" (DOCS ``product/admin/global-settings.mdx``), not that a tenant list then stops
admitting its own networks, so judging the union is right under either reading; evidence says
which list each network came from (``network_origins``). An inherited list that could not be
determined gives ``manual`` unless the credential's own networks are already too broad.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from pydantic import Field

from auditor.kernel.model import Credential, InheritedRestriction, Network, Severity
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

        def broad(cidrs: tuple[Network, ...]) -> bool:
            return any(n.prefixlen < (v4 if isinstance(n, IPv4Network) else v6) for n in cidrs)

        candidates = []
        for i, (cidrs, inherited) in enumerate(
            zip(facts.allowed_cidrs, facts.inherited_restriction, strict=True)
        ):
            if inherited is None or inherited.state == "none":
                if cidrs and broad(cidrs):
                    candidates.append(i)
            elif not cidrs or inherited.state == "unknown" or broad(cidrs + inherited.cidrs):
                candidates.append(i)
        return candidates

    def evaluate(
        self, credential: Credential, ctx: RuleContext[BroadSourceParams]
    ) -> Outcome | None:
        if not credential.capabilities.network_restriction:
            return not_applicable("network_restriction", credential)
        own = cidrs = credential.allowed_cidrs
        inherited = credential.inherited_restriction
        origin, where = "credential", ""
        if not own:
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
            where = f" (inherited from {origin})"
        elif inherited is not None and inherited.state == "enforced":
            extra = tuple(n for n in inherited.cidrs if n not in own)
            if extra:
                cidrs = own + extra
                origin = f"credential and {inherited.origin}"
                where = f" (its own list and, as they may apply alongside it, {inherited.origin})"
        v4 = ctx.params.min_prefix_v4
        v6 = ctx.params.min_prefix_v6
        for net in cidrs:  # a plain loop: the common case (all narrow) allocates nothing
            if net.prefixlen < (v4 if isinstance(net, IPv4Network) else v6):
                break
        else:
            if own and inherited is not None and inherited.state == "unknown":
                return (
                    "manual",
                    "its own networks are narrow, but tenant allow lists that may apply alongside "
                    f"them are unknown: {inherited.reason}",
                    {
                        "allowed_cidrs": [str(n) for n in own],
                        "inherited_state": inherited.state,
                    },
                )
            return None
        texts = [str(net) for net in cidrs]  # each network formatted once (ipaddress: ~1 µs)
        broad = [
            text
            for net, text in zip(cidrs, texts, strict=True)
            if net.prefixlen < (v4 if isinstance(net, IPv4Network) else v6)
        ]
        evidence: dict[str, object] = {
            "allowed_cidrs": texts,
            "too_broad": broad,
            "min_prefix_v4": v4,
            "min_prefix_v6": v6,
            "origin": origin,
        }
        if origin != "credential" and inherited is not None:
            evidence["network_origins"] = _origins(own, inherited, cidrs, texts)
        return (
            "fail",
            f"{len(broad)} of {len(cidrs)} allowed networks are wider than /{v4} (IPv4) or "
            f"/{v6} (IPv6): {', '.join(broad)}{where}",
            evidence,
        )


def _origins(
    own: tuple[Network, ...],
    inherited: InheritedRestriction,
    cidrs: tuple[Network, ...],
    texts: list[str],
) -> dict[str, list[str]]:
    """Network -> where it came from: ``credential`` and/or each tenant list's name (the
    restriction's ``origin`` when it names no lists, e.g. a saved inventory)."""
    return {
        text: (["credential"] if net in own else [])
        + (
            [name for name, nets in inherited.lists if net in nets]
            or ([] if net in own else [inherited.origin])
        )
        for net, text in zip(cidrs, texts, strict=True)
    }
