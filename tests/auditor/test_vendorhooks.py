"""The vendor-declared hooks: privilege judges, remediation hints and simulated tenants.

The ``privileged-access`` rule dispatches to the judge the credential's vendor declares, a vendor
without one is ``manual``, the rule's parameters are the judges' (a conflict is refused), and the
evaluator's screen over a tenant mixing vendors agrees with the shortcut-free reference."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from auditor.app.vendorhooks import install_vendor_hooks
from auditor.kernel.model import Credential, TenantInventory
from auditor.kernel.privilege import (
    PrivilegeColumns,
    PrivilegeJudge,
    PrivilegeOutcome,
    install_judges,
    judges,
)
from auditor.kernel.remediation import install_hints, with_hints
from policies import RULES, evaluate, load_policy
from providers.base import Provider
from providers.registry import _taken_parameter, registry
from tests.policies.helpers import AS_OF, NO_CAPS, cred, inventory
from tests.policies.reference import observed, reference


class AcmeJudge(PrivilegeJudge):
    params: ClassVar[Mapping[str, tuple[str, ...]]] = {"acme_admin_scopes": ("acme:admin*",)}

    def judge(self, credential: Credential, prepared: Any) -> PrivilegeOutcome | None:
        admin = prepared["acme_admin_scopes"].select(credential.scopes)
        if not admin:
            return None
        return ("fail", f"acme admin scope(s): {', '.join(admin)}", {"admin": admin})

    def screen(
        self, columns: PrivilegeColumns, indices: Sequence[int] | None, prepared: Any
    ) -> list[int]:
        clear = prepared["acme_admin_scopes"].disjoint
        every = range(len(columns.scopes)) if indices is None else indices
        return [i for i in every if not clear(columns.scopes[i])]


@pytest.fixture
def acme() -> Iterator[None]:
    """The built-in judges plus one for vendor ``acme`` (restored afterwards)."""
    install_judges({**judges(), "acme": AcmeJudge()})
    yield
    install_vendor_hooks()


def acme_cred(id: str, *scopes: str, provider: str = "acme") -> Credential:
    return cred(provider=provider, id=id, scopes=scopes, capabilities=NO_CAPS, allowed_cidrs=())


RULE = RULES["privileged-access"]


def outcome(credential: Credential, **params: Any) -> PrivilegeOutcome | None:
    ctx = RULE.context(AS_OF, RULE.params_model(**params))
    return RULE.evaluate(credential, ctx)  # type: ignore[return-value]


def test_the_rule_uses_the_vendors_judge(acme: None) -> None:
    assert outcome(acme_cred("a", "acme:read")) is None
    assert outcome(acme_cred("b", "acme:read", "acme:admin-users")) == (
        "fail",
        "acme admin scope(s): acme:admin-users",
        {"admin": ["acme:admin-users"]},
    )
    # the judge's parameter is one of the rule's, default from the judge
    assert RULE.params_model().model_dump()["acme_admin_scopes"] == ["acme:admin*"]
    assert outcome(acme_cred("c", "acme:read"), acme_admin_scopes=["acme:read"]) is not None


def test_a_vendor_without_a_judge_is_manual(acme: None) -> None:
    result = outcome(acme_cred("d", "acme:admin", provider="other"))
    assert result is not None
    assert result[:2] == (
        "manual",
        "credaudit has no privilege judgement for other credentials (a plug-in vendor): "
        "review what this credential may do",
    )


def test_an_unknown_scope_is_manual_before_any_judge(acme: None) -> None:
    result = outcome(acme_cred("e", provider="acme").model_copy(update={"scope_mode": "unknown"}))
    assert result is not None and result[0] == "manual"


def test_a_mixed_tenant_is_screened_per_vendor_like_the_reference(acme: None) -> None:
    credentials = [
        acme_cred("a1", "acme:read"),
        acme_cred("a2", "acme:admin"),
        acme_cred("o1", "anything", provider="other"),
        cred(id="c1", scopes=("system:owner",), owner={"roles": ["system:owner"]}),
        cred(id="c2"),
        cred(provider="sailpoint", id="s1", scopes=("sp:workflow:manage",)),
        cred(provider="sailpoint", id="s2"),
    ]
    inv: TenantInventory = inventory("acme-c1", *credentials)
    policy = load_policy(None, tenants=["acme-c1"], base_dir=Path())
    got = observed(evaluate([inv], policy, (), AS_OF))
    want = reference([inv], policy, AS_OF)
    assert got.counts == want.counts
    judged = {k: v for k, v in want.results.items() if v[0] != "not_applicable"}
    assert got.results == judged  # not_applicable is counted per vendor, never a finding
    verdicts = {
        cid: status
        for (_, cid, rule), (status, _, _) in got.results.items()
        if rule == "privileged-access"
    }
    assert verdicts == {"a2": "fail", "o1": "manual", "c1": "fail", "s1": "fail"}


def test_two_judges_may_not_declare_the_same_parameter() -> None:
    with pytest.raises(ValueError, match="'acme_admin_scopes' is declared by the acme and dup"):
        install_judges({"acme": AcmeJudge(), "dup": AcmeJudge()})


def test_a_plugin_whose_judge_takes_a_builtin_parameter_is_refused() -> None:
    class Clash(PrivilegeJudge):
        params: ClassVar[Mapping[str, tuple[str, ...]]] = {"sailpoint_scopes": ()}

        def judge(self, credential: Credential, prepared: Any) -> PrivilegeOutcome | None:
            return None

    class Plugin(Provider):
        name: ClassVar[str] = "clash"
        privilege_judge: ClassVar[PrivilegeJudge | None] = Clash()

        async def collect(self) -> TenantInventory:
            raise NotImplementedError

    found = dict(registry().providers)
    assert _taken_parameter(Plugin, found) == (
        "its privilege judge declares the privileged-access parameter(s) sailpoint_scopes, "
        "already declared by sailpoint"
    )
    assert (
        _taken_parameter(type("Free", (Plugin,), {"privilege_judge": AcmeJudge()}), found) is None
    )


def test_remediation_hints_come_from_the_vendors() -> None:
    try:
        install_hints({})
        assert RULES["no-expiry"].remediation == (
            "Replace the credential with one that has an expiry date, then delete this one."
        )
        assert with_hints("stale", "Rotate it") == "Rotate it."
    finally:
        install_vendor_hooks()
    assert RULES["no-expiry"].remediation == (
        "Replace the credential with one that has an expiry date (ConductorOne: 30 or 90 days; "
        "SailPoint: set expirationDate), then delete this one."
    )


def test_the_demo_simulates_every_registered_vendor_that_declares_a_tenant() -> None:
    from auditor.app.sandbox import Faults, Simulation
    from auditor.kernel.errors import UsageError
    from providers.sailpoint import SailPointProvider

    faults = Faults.parse("deny-owner-lookup,malformed=2")
    both = Simulation(as_of=AS_OF, faults=faults)
    assert [(t.provider, t.tenant_name) for t in both.simulated] == [
        ("conductorone", "sandbox-c1"),
        ("sailpoint", "sandbox-isc"),
    ]
    # each vendor maps the neutral faults to its own simulator's switches
    c1, sp = (t.simulator.faults for t in both.simulated)
    assert (c1.deny_user_search, c1.malformed_records) == (True, 2)
    assert (sp.deny_identity_lookup, sp.malformed_records) == (True, 2)
    tenants, _router = Simulation(
        as_of=AS_OF, providers={"sailpoint": SailPointProvider}
    ).in_process()
    assert [(t.name, t.base_url) for t in tenants] == [
        ("sandbox-isc", "https://demo.api.identitynow.com")
    ]

    class NoSimulation(Provider):
        name: ClassVar[str] = "nosim"

        async def collect(self) -> TenantInventory:
            raise NotImplementedError

    with pytest.raises(UsageError, match="no registered vendor declares a simulated tenant"):
        Simulation(as_of=AS_OF, providers={"nosim": NoSimulation})
