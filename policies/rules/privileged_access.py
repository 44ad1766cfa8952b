"""``privileged-access``: the credential's effective access includes a privileged role, scope or
user level, as its vendor's privilege judgement defines it.

Which access is privileged, and how a credential's access combines with its owner's, is vendor
knowledge: each provider declares a ``PrivilegeJudge`` (``auditor.kernel.privilege``; the built-in
ones are ``providers/<vendor>/judge.py``), and this rule dispatches to it by ``provider``. A
credential whose scope could not be determined is ``manual`` for every vendor, and so is one whose
vendor declares no judgement (a plug-in without one): never a silent pass.

The rule's parameters are those the judges declare (each a list of names, ``*`` a wildcard), in
registry order, with the judges' defaults: the parameter model is built from the judge registry
(``params_model``), which the application fills from the provider registry before it loads a
policy (``auditor.app.vendorhooks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache, partial
from typing import Any

from pydantic import Field, create_model

from auditor.kernel.model import Credential, Severity
from auditor.kernel.privilege import PrivilegeJudge, judges, judges_version
from policies.base import Outcome, Params, Rule, RuleContext
from policies.facts import Facts

__all__ = ["PrivilegedAccess", "PrivilegedParams"]


class PrivilegedParams(Params):
    """Base of the rule's parameter model; its fields are the installed judges' parameters."""


@cache
def _params_model(version: int) -> type[PrivilegedParams]:
    fields: dict[str, Any] = {
        name: (list[str], Field(default_factory=partial(list, default)))
        for judge in judges().values()
        for name, default in judge.params.items()
    }
    return create_model("PrivilegedParams", __base__=PrivilegedParams, **fields)


class _Judging:
    """The installed judges with their prepared parameters, per provider (never falsy)."""

    __slots__ = ("by_provider",)

    def __init__(self, by_provider: Mapping[str, tuple[PrivilegeJudge, Any]]) -> None:
        self.by_provider = by_provider


class PrivilegedAccess(Rule[PrivilegedParams]):
    id = "privileged-access"
    title = "Credential carries privileged access"
    description = (
        "Fails when the credential's effective access includes a privileged role, scope or user "
        "level, as its vendor's privilege judgement defines it (the parameters name them); "
        "manual when the scope is unknown or the vendor declares no judgement."
    )
    remediation = (
        "Replace the credential with one scoped to non-administrative roles or scopes; keep "
        "administrative automation on dedicated, reviewed service credentials."
    )
    default_severity: Severity = "critical"

    @property
    def params_model(self) -> type[PrivilegedParams]:  # type: ignore[override]
        """The installed judges' parameters (see the module docstring)."""
        return _params_model(judges_version())

    def prepare(self, as_of: datetime, params: PrivilegedParams) -> _Judging:
        """Each judge compiles its parameters once per scan (a parameter the ``params`` object
        lacks, built before that judge was installed, takes the judge's default)."""
        given = params.model_dump()
        prepared: dict[str, tuple[PrivilegeJudge, Any]] = {}
        for provider, judge in judges().items():
            values = {
                name: given.get(name, list(default)) for name, default in judge.params.items()
            }
            prepared[provider] = (judge, judge.prepare(values))
        return _Judging(prepared)

    def screen(self, facts: Facts, ctx: RuleContext[PrivilegedParams]) -> list[int] | None:
        """Each vendor's judge screens its credentials; a vendor without one keeps them all
        (``evaluate`` says ``manual``)."""
        judging: _Judging = ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        providers = facts.providers
        if len(providers) == 1:  # the usual tenant: one vendor
            entry = judging.by_provider.get(next(iter(providers)))
            if entry is None:
                return None
            return list(entry[0].screen(facts, None, entry[1]))
        groups: dict[str, list[int]] = {}
        for index, provider in enumerate(facts.provider):
            groups.setdefault(provider, []).append(index)
        candidates: list[int] = []
        for provider, indices in groups.items():
            entry = judging.by_provider.get(provider)
            if entry is None:
                candidates.extend(indices)
            else:
                candidates.extend(entry[0].screen(facts, indices, entry[1]))
        candidates.sort()
        return candidates

    def evaluate(
        self, credential: Credential, ctx: RuleContext[PrivilegedParams]
    ) -> Outcome | None:
        mode = credential.scope_mode
        if mode == "unknown":
            return (
                "manual",
                "the credential's scope could not be determined, so its privileges are unknown",
                {"scope_mode": mode, "scopes": list(credential.scopes)},
            )
        judging: _Judging = ctx.prepared or self.prepare(ctx.as_of, ctx.params)
        entry = judging.by_provider.get(credential.provider)
        if entry is None:
            return (
                "manual",
                f"credaudit has no privilege judgement for {credential.provider} credentials (a "
                "plug-in vendor): review what this credential may do",
                {"scope_mode": mode, "scopes": list(credential.scopes)},
            )
        return entry[0].judge(credential, entry[1])
