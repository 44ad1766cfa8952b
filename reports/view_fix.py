"""The fix-first view: what to do, grouped by credential and by owner (issue #17).

A reader opens a report to learn what to do first. ``fix_first`` turns the open findings into
action groups — "revoke these 12", "restrict these 30 to a network", "ask these 5 owners" —
each with its remediation and the findings behind every credential. HTML and Markdown show the
same groups (``reports.html``, ``reports.markdown``); this module is pure data.

How a credential is placed (no credential is lost, none is counted twice in the credential
groups):
- every credential with at least one ``fail`` finding goes to exactly one *credential* group,
  the first in ``ACTIONS`` order that one of its failing rules calls for (revoking a credential
  also settles its missing network restriction); the item lists all its open findings, so the
  other failures stay visible behind it;
- ``manual`` results (questions a reviewer must answer) and ``too-many-per-owner`` (the owner
  decides which to keep) are owner questions: they form the *owner* group, one item per owner,
  whatever credential group the same credentials are in;
- a rule this module does not know (a custom rule) goes to ``review`` with its own remediation.
``waived`` and ``not_applicable`` results are not open and are not actions.

Rule ids are a public contract (docs/architecture.md "Rule catalogue"); the remediation texts are
the findings' own (each rule's ``remediation``), never rewritten here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditor.kernel.model import SEVERITY_RANK, Finding, ScanResult

__all__ = [
    "ACTIONS",
    "OWNER_ACTION",
    "Action",
    "FixGroup",
    "FixItem",
    "Headline",
    "action_of",
    "fix_first",
    "headline",
]


@dataclass(frozen=True)
class Action:
    id: str
    verb: str
    """The action in a word or two (the findings table's "Action" filter)."""
    phrase: str
    """The group's heading, with ``{n}`` and ``{noun}``: "Revoke {n} {noun}"."""
    why: str
    """One line under the heading: what the group has in common."""
    rules: tuple[str, ...]


ACTIONS: tuple[Action, ...] = (
    Action(
        "revoke",
        "Revoke",
        "Revoke {n} {noun}",
        "owner gone, idle, never used or already expired",
        ("inactive-owner", "stale", "never-used", "expired"),
    ),
    Action(
        "reduce-access",
        "Narrow access",
        "Narrow the access of {n} {noun}",
        "administrative roles or every permission of the owner",
        ("privileged-access", "full-owner-access"),
    ),
    Action(
        "restrict-network",
        "Restrict to a network",
        "Restrict {n} {noun} to a network",
        "usable from any address, or from a range wider than the policy allows",
        ("no-source-restriction", "broad-source-restriction"),
    ),
    Action(
        "set-expiry",
        "Set an expiry",
        "Replace {n} {noun} with expiring ones",
        "no expiry, or a lifetime longer than the policy allows",
        ("no-expiry", "long-lifetime"),
    ),
    Action(
        "renew",
        "Renew or let lapse",
        "Renew or let lapse {n} {noun}",
        "expires soon",
        ("expiring-soon",),
    ),
    Action("review", "Review", "Review {n} {noun}", "other failing rules (custom rules)", ()),
)
OWNER_ACTION = Action(
    "ask-owner",
    "Ask owners",
    "Ask {n} {noun}",
    "questions only a person can answer: owners that could not be verified, access that could "
    "not be read, owners holding more credentials than the policy allows",
    ("too-many-per-owner",),
)
_BY_RULE = {rule: action.id for action in ACTIONS for rule in action.rules}
_RANK = {action.id: i for i, action in enumerate(ACTIONS)}


def action_of(finding: Finding) -> str:
    """The action an open finding calls for on its own (the findings table's "Action" column).
    ``""`` for a finding that is not open."""
    if finding.status == "manual" or finding.rule_id in OWNER_ACTION.rules:
        return OWNER_ACTION.id if finding.status in ("fail", "manual") else ""
    if finding.status != "fail":
        return ""
    return _BY_RULE.get(finding.rule_id, "review")


@dataclass(frozen=True, slots=True)  # one per credential with an open finding: kept small
class FixItem:
    """One credential (credential groups) or one owner (the owner group) and why."""

    key: str
    label: str
    detail: str
    tenant: str
    severity: str
    findings: tuple[Finding, ...]
    credentials: int = 1


@dataclass(frozen=True)
class FixGroup:
    action: Action
    by: str
    """``credential`` or ``owner``: what ``items`` are."""
    items: tuple[FixItem, ...]
    remediation: tuple[tuple[str, str], ...]
    """(rule id, plain remediation text) for every rule behind the group."""
    severity: str
    findings: int
    """Open findings that call for this action (``action_of``), on any credential: the rows the
    findings table shows when filtered by it."""

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def title(self) -> str:
        noun = "credential" if self.by == "credential" else "owner"
        noun += "" if self.count == 1 else "s"
        return self.action.phrase.format(n=f"{self.count:,}", noun=noun)


def _worst(findings: Iterable[Finding]) -> str:
    return _worst_of(f.severity for f in findings)


def _worst_of(severities: Iterable[str]) -> str:
    return max(severities, key=SEVERITY_RANK.__getitem__, default="info")


def _item_order(item: FixItem) -> tuple[int, str, str, str]:
    return (-SEVERITY_RANK[item.severity], item.tenant, item.label.casefold(), item.key)


def _finding_order(f: Finding) -> tuple[int, int, str]:
    return (f.status != "fail", -SEVERITY_RANK[f.severity], f.rule_id)


def _remediation(findings: Iterable[Finding]) -> tuple[tuple[str, str], ...]:
    """One text per rule: its plain remediation (a managed credential's adds a caveat to the same
    text, shown on that finding's own row)."""
    texts: dict[str, str] = {}
    _shortest(texts, findings)
    return tuple(sorted(texts.items()))


def _shortest(texts: dict[str, str], findings: Iterable[Finding]) -> None:
    """Per rule in ``texts``, the shortest remediation of ``findings`` (the first of equals)."""
    for f in findings:
        if f.remediation and (f.rule_id not in texts or len(f.remediation) < len(texts[f.rule_id])):
            texts[f.rule_id] = f.remediation


def _owner_key(f: Finding) -> tuple[str, str]:
    return (f.tenant, f.owner_id or f.owner_name or "")


def fix_first(findings: Sequence[Finding]) -> list[FixGroup]:
    """The action groups, in ``ACTIONS`` order then the owner group; empty groups left out."""
    by_credential: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.status in ("fail", "manual"):
            by_credential[(f.tenant, f.credential_id)].append(f)
    calling: Counter[str] = Counter(action_of(f) for f in findings)
    placed: dict[str, list[FixItem]] = defaultdict(list)
    behind: dict[str, dict[str, str]] = defaultdict(dict)  # _remediation, as findings come
    owners: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for (tenant, cred_id), open_findings in by_credential.items():
        open_findings.sort(key=_finding_order)
        first = open_findings[0]
        actions = [
            action_of(f)
            for f in open_findings
            if f.status == "fail" and f.rule_id not in OWNER_ACTION.rules
        ]
        for f in open_findings:
            if action_of(f) == OWNER_ACTION.id:
                owners[_owner_key(f)].append(f)
        if not actions:
            continue
        action = min(actions, key=_RANK.__getitem__)
        placed[action].append(
            FixItem(
                key=cred_id,
                label=first.credential_name or cred_id,
                detail=first.owner_name or first.owner_id or "",
                tenant=tenant,
                severity=_worst(f for f in open_findings if f.status == "fail"),
                findings=tuple(open_findings),
            )
        )
        _shortest(
            behind[action],
            (f for f in open_findings if f.status == "fail" and action_of(f) == action),
        )
    groups = [
        FixGroup(
            action=action,
            by="credential",
            items=tuple(sorted(placed[action.id], key=_item_order)),
            remediation=tuple(sorted(behind[action.id].items())),
            severity=_worst_of(item.severity for item in placed[action.id]),
            findings=calling[action.id],
        )
        for action in ACTIONS
        if placed[action.id]
    ]
    if owners:
        items = [
            FixItem(
                key=owner_id,
                label=found[0].owner_name or owner_id or "owner not recorded",
                detail=owner_id if found[0].owner_name and owner_id else "",
                tenant=tenant,
                severity=_worst(found),
                findings=tuple(sorted(found, key=_finding_order)),
                credentials=len({f.credential_id for f in found}),
            )
            for (tenant, owner_id), found in owners.items()
        ]
        every = [f for found in owners.values() for f in found]
        groups.append(
            FixGroup(
                action=OWNER_ACTION,
                by="owner",
                items=tuple(sorted(items, key=_item_order)),
                remediation=_remediation(every),
                severity=_worst(every),
                findings=calling[OWNER_ACTION.id],
            )
        )
    return groups


@dataclass(frozen=True)
class Headline:
    """The numbers a report opens with: credentials and owners as well as checks."""

    credentials: int
    failing: int
    """Credentials with at least one ``fail`` finding."""
    review_only: int
    """Credentials with ``manual`` results and no failure."""
    owners: int
    """Distinct owners (per tenant) of the credentials with an open finding."""
    failed_checks: int
    manual_checks: int


def headline(result: ScanResult) -> Headline:
    failing: set[tuple[str, str]] = set()
    manual: set[tuple[str, str]] = set()
    owners: set[tuple[str, str]] = set()
    failed = review = 0
    for f in result.findings:
        if f.status == "fail":
            failed += 1
            failing.add((f.tenant, f.credential_id))
        elif f.status == "manual":
            review += 1
            manual.add((f.tenant, f.credential_id))
        else:
            continue
        owners.add(_owner_key(f))
    return Headline(
        credentials=len(result.credentials),
        failing=len(failing),
        review_only=len(manual - failing),
        owners=len(owners),
        failed_checks=failed,
        manual_checks=review,
    )
