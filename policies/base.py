"""The rule contract: a rule is a pure function of (credential, context).

Why this shape: the evaluator calls every enabled rule once per credential (hundreds of thousands
of calls per scan), so a rule returns ``None`` for ``pass`` and a small ``Outcome`` tuple for
every other status. The evaluator, not the rule, turns outcomes into ``Finding`` objects: severity,
remediation, controls, fingerprint and waivers are the same for every credential of a rule and
are attached once per (tenant, rule) rather than rebuilt by each rule.

A rule never raises for a credential it cannot judge: a fact the vendor cannot express gives
``not_applicable`` (decided by ``Credential.capabilities``), a fact we could not learn (an
unknown owner, an unknown creation time) gives ``manual``. Nothing is silently ``pass``.

Two optional declarations let the evaluator skip calls whose answer is known (its target:
200,000 credentials x 13 rules in under 2 s, docs/architecture.md "Evaluator performance
boundary"):

- ``requires`` names the ``Capabilities`` field the rule's fact needs. Where the vendor lacks it the
  evaluator counts ``not_applicable`` per (tenant, provider, rule) without calling ``evaluate``,
  which must itself return ``not_applicable`` for such a credential (tested for every rule).
- ``screen`` returns, from the tenant's ``Facts`` columns, the indices of every credential that
  might not pass: a superset, never a guess. ``evaluate`` still decides each of them; a credential
  left out is a ``pass``, so a screen that drops a non-pass would be a false pass. The
  equivalence with calling ``evaluate`` on everything is a property test over every built-in rule.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from auditor.kernel.model import Credential, Severity
from auditor.kernel.timestamps import format_timestamp

if TYPE_CHECKING:
    from policies.facts import Facts

OutcomeStatus = Literal["fail", "manual", "not_applicable"]
DAY = timedelta(days=1)


Outcome = tuple[OutcomeStatus, str, dict[str, Any]]
"""A non-pass result of one rule for one credential: (status, message, evidence).

A plain tuple, not a NamedTuple: building a NamedTuple costs a Python-level ``__new__`` call,
which is measurable at hundreds of thousands of findings per scan.
"""


class Params(BaseModel):
    """Base of every rule's parameter model: strict, frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class NoParams(Params):
    """For rules without thresholds."""


P = TypeVar("P", bound=Params)


@dataclass(frozen=True)
class RuleContext(Generic[P]):
    """What a rule may look at besides the credential.

    ``owner_counts`` is filled only for rules that declare ``needs_owner_counts`` (today
    ``too-many-per-owner``): (owner id → unexpired credentials) over the same tenant.
    """

    as_of: datetime
    params: P
    tenant: str = ""
    owner_counts: Mapping[str, int] = field(default_factory=dict)
    prepared: Any = None
    """What ``Rule.prepare`` derived from (as_of, params) once: cut-off instants and the like.
    Never falsy when set; rules fall back to ``prepare`` for a context built by hand."""
    as_of_iso: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "as_of_iso", iso(self.as_of))


class Rule(ABC, Generic[P]):
    """One rule of the catalogue (docs/architecture.md, "Rule catalogue": ids are a public
    contract)."""

    id: str
    title: str
    description: str
    remediation: str
    default_severity: Severity
    params_model: type[P]
    """Its parameters; their field defaults are the rule's default thresholds (the only place
    they are stated: the default policy pack is built from them, ``policies.policy``)."""
    default_enabled: bool = True
    source: Literal["builtin", "custom"] = "builtin"
    controls: tuple[str, ...] = ()
    """Control references beyond ``compliance.yaml`` (custom rules name their own)."""
    needs_owner_counts: ClassVar[bool] = False
    requires: ClassVar[str | None] = None
    """The ``Capabilities`` field this rule's fact needs; ``None``: every vendor can express it."""

    @abstractmethod
    def evaluate(self, credential: Credential, ctx: RuleContext[P]) -> Outcome | None:
        """``None`` means pass; otherwise the status, a one-sentence message and the evidence."""

    def screen(self, facts: Facts, ctx: RuleContext[P]) -> Iterable[int] | None:
        """Indices of every credential in ``facts`` that might not pass, each once; ``None``: all
        of them (the default, and what a custom rule gets). See the module docstring."""
        return None

    def prepare(self, as_of: datetime, params: P) -> Any:
        """Derive per-scan constants once (e.g. a cut-off instant), so that ``evaluate`` passes
        a credential with one comparison and no allocation."""
        return None

    def context(
        self,
        as_of: datetime,
        params: P | None = None,
        *,
        tenant: str = "",
        owner_counts: Mapping[str, int] | None = None,
    ) -> RuleContext[P]:
        """The context the evaluator hands this rule (tests build theirs the same way)."""
        params = params if params is not None else self.params_model()
        return RuleContext(
            as_of=as_of,
            params=params,
            tenant=tenant,
            owner_counts=owner_counts or {},
            prepared=self.prepare(as_of, params),
        )


def iso(value: datetime | None) -> str | None:
    """Evidence is JSON-able: datetimes as the canonical ISO UTC string (``format_timestamp``).

    Model datetimes are already UTC, so the common case skips the time-zone conversion.
    """
    if value is None:
        return None
    text = value.isoformat()
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    return format_timestamp(value)


def span(delta: timedelta, limit_days: int | None = None) -> str:
    """A human figure for a message: "214 days".

    When the whole-day figure equals the limit (a credential one second past a 90-day
    threshold) or is zero, the remainder is spelled out so the message never reads
    "90 days; limit 90" or "expires in 0 days".
    """
    whole, rest = delta.days, delta.seconds  # a timedelta keeps 0 <= seconds < 86400
    unit = "day" if whole == 1 else "days"
    micro = delta.microseconds
    if (rest or micro) and (whole == 0 or whole == limit_days):
        return f"{whole} {unit} and {_clock(rest, micro)}"
    return f"{whole} {unit}"


def _clock(seconds: int, micro: int) -> str:
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{micro:06d}" if micro else text


MANAGED_CAVEAT = (
    " This credential is platform-managed: an automation (for example a workflow) created it and "
    "uses it, so deleting or narrowing it breaks that automation; change it through the "
    "automation that owns it, or retire the automation first."
)
"""Appended to every finding's remediation on a ``managed`` credential (SailPoint: "Workflows
will create managed personal access tokens", GetPersonalAccessTokenResponse.managed)."""


def remediation_for(remediation: str, managed: bool | None) -> str:
    """A rule's remediation for one credential: with the managed caveat where it applies."""
    return remediation + MANAGED_CAVEAT if managed else remediation


def not_applicable(capability: str, credential: Credential) -> Outcome:
    """The vendor cannot express the fact this rule judges (``Capabilities``).

    The outcome depends only on (capability, provider), so one tuple is shared by every such
    result; its evidence dict is shared too and, like all evidence, must be treated as read-only.
    """
    key = (capability, credential.provider)
    outcome = _NOT_APPLICABLE.get(key)
    if outcome is None:
        outcome = (
            "not_applicable",
            f"{credential.provider} cannot express this ({capability} not supported)",
            {"capability": capability, "provider": credential.provider},
        )
        _NOT_APPLICABLE[key] = outcome
    return outcome


_NOT_APPLICABLE: dict[tuple[str, str], Outcome] = {}
