"""Evaluate every enabled rule against every credential: findings, counts, waivers, gaps.

Performance (the target: 200,000 credentials x every rule in under 2 s on two cores,
docs/architecture.md "Evaluator performance boundary") shapes this module:

- a rule screens the tenant's columns (``policies.facts``) for the credentials that might not
  pass, and ``evaluate`` runs for those only; a pass costs no call at all (pass counts are derived
  as ``credentials - non-pass``);
- a rule whose fact the vendor cannot express is counted per (tenant, provider, rule) as
  ``Evaluation.not_applicable`` instead of one identical finding per credential;
- per-rule constants (severity, remediation, controls, waivers, context) are prepared once per
  tenant, and findings are built without re-validation (``policies.construct``), their
  credential fields taken from the columns rather than from each credential and its owner;
- credentials are judged in the order they came (their order in memory) and their findings then
  put in id order (``_reorder``).

Order is deterministic: tenant, credential id, rule id.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import le
from typing import Any

from auditor.kernel.model import (
    Capabilities,
    ConstraintGap,
    Credential,
    Evaluation,
    Finding,
    FindingStatus,
    NotApplicable,
    ProviderName,
    TenantInventory,
    WaiverRef,
)
from auditor.kernel.timestamps import parse_timestamp
from policies import collector, construct
from policies.base import Outcome, RuleContext, remediation_for
from policies.compliance import constraint_gaps, control_catalogue, controls_for
from policies.facts import Facts
from policies.onerow import CARRIER, FOLDED, folded_evidence
from policies.policy import Policy, RuleSettings
from policies.rules.too_many_per_owner import owner_counts
from policies.waiver_status import WaiverTally, waiver_statuses
from policies.waivers import Waiver

STATUSES: tuple[FindingStatus, ...] = ("fail", "waived", "manual", "not_applicable", "pass")
_sha256 = hashlib.sha256  # the fingerprint: auditor.kernel.model.fingerprint, inlined


class _Prepared:
    """One enabled rule, ready for one tenant."""

    __slots__ = ("controls", "counts", "ctx", "evaluate", "evidence", "managed_remediation",
                 "remediation", "requires", "rule", "rule_id", "rule_key", "severity",
                 "waivers")  # fmt: skip

    def __init__(
        self, settings: RuleSettings, ctx: RuleContext[Any], waivers: list[Waiver]
    ) -> None:
        rule = settings.rule
        self.rule = rule
        self.requires = rule.requires
        self.rule_id = rule.id
        self.rule_key = rule.id.encode()
        self.evaluate = rule.evaluate
        self.ctx = ctx
        self.severity = settings.severity
        self.remediation = rule.remediation
        self.managed_remediation = remediation_for(rule.remediation, managed=True)
        self.controls = controls_for(rule.id) + rule.controls
        self.waivers = waivers
        self.counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        self.evidence = construct.EvidencePool()


def evaluate(
    inventories: Sequence[TenantInventory],
    policy: Policy,
    waivers: Sequence[Waiver],
    as_of: datetime,
) -> Evaluation:
    """Run the policy over every collected tenant; see the module docstring."""
    as_of_utc = parse_timestamp(as_of)
    if as_of_utc is None:
        raise ValueError("as_of is required")
    by_rule: dict[str, list[Waiver]] = {}
    for waiver in waivers:
        by_rule.setdefault(waiver.rule_id, []).append(waiver)
    with collector.paused():
        return _evaluate(inventories, policy, waivers, by_rule, as_of_utc)


def _evaluate(
    inventories: Sequence[TenantInventory],
    policy: Policy,
    waivers: Sequence[Waiver],
    by_rule: Mapping[str, list[Waiver]],
    as_of: datetime,
) -> Evaluation:
    tally = WaiverTally()
    findings: list[Finding] = []
    not_applicable: list[NotApplicable] = []
    counts: dict[str, dict[str, int]] = {}
    messages: dict[str, str] = {}  # every distinct message once (``_judge``)
    for inventory in sorted(inventories, key=lambda inv: inv.coverage.tenant):
        tenant = inventory.coverage.tenant
        tally.tenant_seen(tenant, inventory.coverage.status)
        facts = Facts(inventory.credentials)
        prepared = _prepare(policy.for_tenant(tenant), tenant, facts, by_rule, as_of)
        _run(facts, prepared, as_of, tally, findings, not_applicable, messages)
        for item in prepared:
            row = counts.setdefault(item.rule_id, dict.fromkeys(STATUSES, 0))
            for status, number in item.counts.items():
                row[status] += number
            row["pass"] += len(facts) - sum(item.counts.values())
    return Evaluation.model_construct(
        findings=tuple(findings),
        not_applicable=tuple(
            sorted(not_applicable, key=lambda g: (g.tenant, g.rule_id, g.provider))
        ),
        result_counts=dict(sorted(counts.items())),
        policy=policy.to_dict(),
        waivers=waiver_statuses(waivers, tally, policy, as_of),
        constraint_gaps=tuple(policy_gaps(policy)),
        controls=control_catalogue(),
    )


def policy_gaps(policy: Policy) -> list[ConstraintGap]:
    """Framework thresholds the effective policy (global and per tenant) does not meet."""
    effective: dict[str | None, dict[str, tuple[bool, Mapping[str, Any]]]] = {
        None: {rid: (s.enabled, s.params.model_dump()) for rid, s in policy.rules.items()}
    }
    for tenant, rules in sorted(policy.tenant_rules.items()):
        effective[tenant] = {rid: (s.enabled, s.params.model_dump()) for rid, s in rules.items()}
    return constraint_gaps(effective)


def _id_order(facts: Facts) -> list[int] | None:
    """Indices in credential id order (findings are ordered by it); ``None`` when the tenant is
    already in that order. Adapters keep the vendor's order, which need not be by id."""
    ids = facts.id
    if all(map(le, ids, ids[1:])):  # one C-level pass
        return None
    return sorted(range(len(ids)), key=ids.__getitem__)


def _prepare(
    settings: Mapping[str, RuleSettings],
    tenant: str,
    facts: Facts,
    by_rule: Mapping[str, list[Waiver]],
    as_of: datetime,
) -> list[_Prepared]:
    enabled = sorted((rid, s) for rid, s in settings.items() if s.enabled)
    counts: Mapping[str, int] = {}
    if any(s.rule.needs_owner_counts for _, s in enabled):
        counts = owner_counts(facts, as_of)
    return [
        _Prepared(
            s,
            s.rule.context(as_of, s.params, tenant=tenant, owner_counts=counts),
            by_rule.get(rid, []),
        )
        for rid, s in enabled
    ]


def _run(
    facts: Facts,
    prepared: list[_Prepared],
    as_of: datetime,
    tally: WaiverTally,
    findings: list[Finding],
    not_applicable: list[NotApplicable],
    messages: dict[str, str],
) -> None:
    """Judge one tenant's credentials and append their findings to ``findings`` in (credential
    id, rule id) order, whatever order the credentials came in.

    First rule by rule: each rule screens the tenant's ``Facts`` columns for the credentials
    that might not pass (``Rule.screen``), and credentials whose vendor lacks the rule's
    capability are counted (``Rule.requires``). Then credential by credential: the screened
    rules are evaluated and the findings built while that credential is in the CPU cache.
    """
    credentials = facts.credentials
    todo: list[list[_Prepared] | None] = [None] * len(credentials)
    for item in prepared:  # rule id order, so every todo list is in rule id order too
        lacking = _capability_gaps(item, facts, not_applicable)
        if lacking and len(lacking) == len(credentials):
            continue
        candidates = item.rule.screen(facts, item.ctx)
        if candidates is None:
            candidates = range(len(credentials))
        for index in candidates:
            if lacking and index in lacking:
                continue
            rules = todo[index]
            if rules is None:
                todo[index] = [item]
            else:
                rules.append(item)
    order = _id_order(facts)
    if order is None:
        _judge(facts, todo, as_of, tally, findings, messages)
        return
    # Judged in the order the credentials came (the order they sit in memory: judging in id
    # order instead took 2.15 s rather than 1.85 s in bench_policies.py), then put in id order.
    built: list[Finding] = []
    bounds = _judge(facts, todo, as_of, tally, built, messages)
    _reorder(built, bounds, order, findings)


def _reorder(
    built: list[Finding], bounds: array[int], order: list[int], out: list[Finding]
) -> None:
    """Append each credential's run of findings ``built[bounds[i]:bounds[i + 1]]`` to ``out``,
    credentials taken in ``order``."""
    ends = bounds[1:]
    append, extend = out.append, out.extend
    for index in order:
        begin, end = bounds[index], ends[index]
        if end - begin == 1:  # the most common case, without a slice
            append(built[begin])
        elif end > begin:
            extend(built[begin:end])


def _capability_gaps(
    item: _Prepared, facts: Facts, not_applicable: list[NotApplicable]
) -> frozenset[int]:
    """The credentials ``item``'s rule is ``not_applicable`` to by vendor capability: counted
    and summarised per provider, never evaluated one by one.

    The credentials lacking the capability are grouped by (provider, Capabilities value), and one
    credential of each group is evaluated: the rule's own message goes into the summary. Should
    it not come back ``not_applicable`` (a rule whose ``requires`` names the wrong capability),
    that group is not skipped: its credentials are evaluated like any other.
    """
    if item.requires is None:
        return _NONE
    lacking = facts.lacking(item.requires)
    if not lacking:
        return lacking
    groups: dict[tuple[ProviderName, Capabilities], tuple[int, frozenset[int]]]
    if len(facts.providers) == 1 and facts.shared_capabilities:  # the usual tenant
        first = min(lacking)
        groups = {(facts.provider[first], facts.capabilities[first]): (first, lacking)}
    else:
        split: dict[tuple[ProviderName, Capabilities], list[int]] = {}
        for index in sorted(lacking):
            split.setdefault((facts.provider[index], facts.capabilities[index]), []).append(index)
        groups = {key: (indices[0], frozenset(indices)) for key, indices in split.items()}
    skipped: list[frozenset[int]] = []
    totals: dict[tuple[ProviderName, str], int] = {}
    for (provider, _), (first, members) in groups.items():
        outcome = item.evaluate(facts.credentials[first], item.ctx)
        if outcome is None or outcome[0] != "not_applicable":
            continue
        skipped.append(members)
        totals[(provider, outcome[1])] = totals.get((provider, outcome[1]), 0) + len(members)
    tenant = facts.credentials[min(lacking)].tenant
    for (provider, message), count in sorted(totals.items()):
        item.counts["not_applicable"] += count
        not_applicable.append(
            NotApplicable(
                tenant=tenant,
                provider=provider,
                rule_id=item.rule_id,
                capability=item.requires,
                message=message,
                credentials=count,
            )
        )
    if sum(map(len, skipped)) == len(lacking):
        return lacking
    return frozenset().union(*skipped)


_NONE: frozenset[int] = frozenset()


def _judge(
    facts: Facts,
    todo: Sequence[list[_Prepared] | None],
    as_of: datetime,
    tally: WaiverTally,
    findings: list[Finding],
    messages: dict[str, str],
) -> array[int]:
    """Evaluate the screened rules of each credential and append its findings (rule id order)
    to ``findings``; returns where each credential's findings begin in ``findings`` (one offset
    per credential, then the end).

    Memory (docs/architecture.md "Memory boundary"): equal messages are one ``str`` (through
    ``messages``, one table for the scan: "last used 216 days ago; limit 90 days" recurs) and
    equal evidence of a rule one dict (``construct.EvidencePool``); the credential's fields are
    its own ``str`` objects (the columns hold them, no copy). Nothing a reader sees changes:
    both are immutable in use (evidence is read-only, ``policies.base``)."""
    # The hot loop: names are bound to locals and ``construct.fast_construct`` is inlined because
    # per-finding function calls were a measurable share. The credential's own fields come from
    # the columns (read in order, already in memory) rather than from the credential and its
    # owner, which sit elsewhere in memory for each credential.
    append = findings.append
    intern = messages.setdefault
    bounds = array("q")  # machine integers: no int object per credential to chase in _reorder
    mark = bounds.append
    fast = construct.construct is construct.fast_construct and construct.SETTERS is not None
    new, fields_set, sha256 = object.__new__, construct.FIELDS_SET, _sha256
    set_dict, set_fields_set, set_extra, set_private = construct.SETTERS or (construct.no_set,) * 4
    template = construct.TEMPLATE
    credentials, tenants, ids, names = facts.credentials, facts.tenant, facts.id, facts.name
    providers, owner_ids, owner_names = facts.provider, facts.owner_id, facts.owner_name
    for index, rules in enumerate(todo):
        mark(len(findings))
        if rules is None:
            continue
        credential = credentials[index]
        managed = credential.managed
        key: bytes = b""
        first: dict[str, Any] = template
        carrier: dict[str, Any] | None = None  # this credential's inactive-owner manual, if any
        for item in rules:
            outcome: Outcome | None = item.evaluate(credential, item.ctx)
            if outcome is None:
                continue
            status: FindingStatus
            status, message, evidence = outcome
            waiver_ref: WaiverRef | None = None
            if item.waivers and status != "not_applicable":
                status, message, waiver_ref = _apply_waivers(
                    item.waivers, credential, status, message, as_of, tally
                )
            item.counts[status] += 1
            if status == "manual" and carrier is not None and item.rule_id == FOLDED:
                # one cause, one row (policies.onerow): counted above, no row of its own
                carrier["evidence"] = folded_evidence(carrier["evidence"])
                continue
            # A credential's findings differ only in the rule's fields, all set below: the
            # first one's fields are the next ones' starting point (one dict copy each).
            values = first.copy()
            if not key:
                key = f"{tenants[index]}\x1f{ids[index]}\x1f".encode()
                values["provider"] = providers[index]
                values["tenant"] = tenants[index]
                values["credential_id"] = ids[index]
                values["credential_name"] = names[index]
                values["owner_id"] = owner_ids[index]
                values["owner_name"] = owner_names[index]
                first = values
            values["rule_id"] = item.rule_id
            values["status"] = status
            values["severity"] = item.severity
            values["message"] = intern(message, message)
            values["evidence"] = item.evidence.shared(evidence)
            values["remediation"] = item.managed_remediation if managed else item.remediation
            values["controls"] = item.controls
            values["fingerprint"] = sha256(key + item.rule_key).hexdigest()[:32]
            values["waiver"] = waiver_ref
            if fast:
                finding = new(Finding)
                set_dict(finding, values)
                set_fields_set(finding, fields_set)
                set_extra(finding, None)
                set_private(finding, None)
                append(finding)
            else:
                append(construct.construct(values))
            if status == "manual" and item.rule_id == CARRIER:
                carrier = findings[-1].__dict__  # the row the fold below updates in place
    mark(len(findings))
    return bounds


def _apply_waivers(
    candidates: list[Waiver],
    credential: Credential,
    status: FindingStatus,
    message: str,
    as_of: datetime,
    tally: WaiverTally,
) -> tuple[FindingStatus, str, WaiverRef | None]:
    matching = [w for w in candidates if w.match.matches(credential)]
    if not matching:
        return status, message, None
    for waiver in matching:
        tally.matched(waiver.id)
    active = [w for w in matching if not w.expired_at(as_of)]
    if active:
        chosen = max(active, key=lambda w: (w.expires, w.id))
        return "waived", message, chosen.ref(expired=False)
    chosen = max(matching, key=lambda w: (w.expires, w.id))
    reopened = f"{message}; waiver {chosen.id} expired on {chosen.expires_label}"
    return status, reopened, chosen.ref(expired=True)
