"""``report.md``: a GitHub-flavoured summary sized to paste into a ticket or pull request.

Summary, coverage, the most severe open findings and the waivers; long lists are cut with a count
and a pointer to the full outputs, so the text stays well under GitHub's 65,536-character limit
for an issue or comment body whatever the population size.

Every vendor string (names, owners, messages, notes, errors) goes through ``md_text``: in a table
cell a ``|`` would end the cell, ``[``/``]`` or ``<``/``>`` could inject a link or raw HTML, ``*``,
``_``, ``~`` and backticks would restyle it, a newline would end the table, and GFM's extended
autolinks fire on ``http://``, ``https://``, ``ftp://``, ``mailto:``, ``xmpp:``, ``www.`` and ``@``
(emails). Each of those is backslash-escaped (CommonMark §2.4: any ASCII punctuation may be
escaped; an escaped ``:`` or ``.`` is no longer a scheme or ``www.`` to the autolinker) or
flattened to a space. GitHub's ``@mention`` and ``#123`` references are resolved after rendering,
so escaping cannot stop them; they ping or link but cannot inject markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from auditor.kernel.model import Finding, ScanResult, WaiverStatus
from auditor.kernel.visible import visible
from reports import view, view_fix
from reports.view import NOTE_LABELS

FILE_NAME = "report.md"
TOP_FINDINGS = 25
MAX_WAIVERS = 20
MAX_NOTES = 5
FIX_ROWS = 8
CELL_LIMIT = 160
FULL_OUTPUTS = "`report.html`, `findings.csv`, `results.json`"

_ESCAPE = re.compile(r"([\\`*_\[\]<>|~&@!#$])")  # $: GitHub renders $…$ as LaTeX
_SCHEME = re.compile(r"(?i)(://|(?<=mailto):|(?<=xmpp):)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_WWW = re.compile(r"(?i)(w)(ww)\.")


def md_text(value: object, limit: int = CELL_LIMIT) -> str:
    """Untrusted text made inert for Markdown: one line, escaped, bounded."""
    text = _CONTROL.sub(" ", visible(value, keep="\n\r\t")).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = _ESCAPE.sub(r"\\\1", text)
    text = _SCHEME.sub(lambda m: "\\" + m.group(1), text)
    return _WWW.sub(r"\1\2\\.", text)


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: Sequence[str], align: str, rows: Iterable[Iterable[object]]) -> list[str]:
    """``align``: one character per column, ``l`` or ``r``."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return [_row(header), _row(rule), *(_row(r) for r in rows)]


def _banner(result: ScanResult) -> list[str]:
    incomplete = view.incomplete_coverage(result)
    if not incomplete:
        return []
    lines = ["> [!CAUTION]", "> **Scan incomplete: the findings below do not cover everything.**"]
    for cov in incomplete:
        # the same reasons, in the same order, as every other output (TenantCoverage.reasons):
        # the causes of incompleteness, never the routine notes in their place
        first, *more = cov.reasons() or ("",)
        lines.append(
            f"> - **{md_text(cov.tenant)}** ({md_text(cov.provider_label or cov.provider)}): "
            f"**{cov.status.upper()}**{' — ' + md_text(first, 400) if first else ''}"
        )
        lines.extend(f">   - {md_text(r, 400)}" for r in more[: MAX_NOTES - 1])
        if len(more) > MAX_NOTES - 1:
            lines.append(f">   - … {len(more) - MAX_NOTES + 1} more (see Coverage)")
    return [*lines, ""]


def _header(result: ScanResult) -> list[str]:
    scan = result.scan
    tenants = ", ".join(
        f"{md_text(c.tenant)} ({md_text(c.provider_label or c.provider)})" for c in result.coverage
    )
    return [
        "# Credential hygiene audit",
        "",
        *_banner(result),
        f"**As of** {view.fmt_time(scan.as_of)} · **scan** {md_text(scan.id)} · "
        f"**status** {scan.status} · {md_text(result.tool.name)} {md_text(result.tool.version)}",
        "",
        f"**Tenants:** {tenants or 'none'}",
        "",
    ]


def _summary(result: ScanResult) -> list[str]:
    s = result.summary
    statuses = view.status_counts(result)
    line = (
        f"**{s['findings']} failing finding(s)** on {s['credentials']} credential(s) in "
        f"{s['tenants']} tenant(s); {statuses['manual']} for manual review; "
        f"{statuses['waived']} waived; {statuses['not_applicable']} not applicable "
        "(a fact the vendor cannot express)."
    )
    if s["new"]:
        line += f" **{s['new']} new** since the previous scan."
    if s["resolved"]:
        line += f" {s['resolved']} resolved since the previous scan."
    lines = ["## Summary", "", line, ""]
    sev = view.severity_counts(result)
    lines += ["Failures by severity:", ""]
    lines += _table([name for name, _ in sev], "r" * len(sev), [[n for _, n in sev]])
    gaps = result.evaluation.constraint_gaps
    if gaps:
        lines += ["", "**Framework thresholds not met by the policy:**", ""]
        lines += [f"- {md_text(g.message, 300)}" for g in gaps]
    return [*lines, ""]


def _fix_first(result: ScanResult) -> list[str]:
    """What to do first (``reports.view_fix``): the same groups as the HTML report, each with
    its remediation and the first ``FIX_ROWS`` credentials or owners behind it."""
    h = view_fix.headline(result)
    lines = [
        "## Fix first",
        "",
        f"**{h.failing} of {h.credentials} credential(s) failing**"
        + (f", {h.review_only} more for manual review only" if h.review_only else "")
        + f"; {h.owners} owner(s) involved; {h.failed_checks} failed check(s) and "
        f"{h.manual_checks} for manual review.",
        "",
    ]
    groups = view_fix.fix_first(result.findings)
    if not groups:
        return [*lines, "Nothing to fix: no failing or manual-review result.", ""]
    for n, group in enumerate(groups, 1):
        lines += [
            f"### {n}. {group.title} ({group.severity})",
            "",
            f"_{group.action.why}; {group.findings} open finding(s) call for it._",
            "",
            *(f"- `{md_text(rule)}`: {md_text(text, 300)}" for rule, text in group.remediation),
            "",
        ]
        who = "Credential" if group.by == "credential" else "Owner"
        rows = []
        for item in group.items[:FIX_ROWS]:
            why = "; ".join(
                f"{f.rule_id}"
                + (f" ({view.STATUS_LABELS[f.status]})" if f.status != "fail" else "")
                + (f" on {f.credential_name or f.credential_id}" if group.by == "owner" else "")
                + f": {f.message}"
                for f in item.findings[:3]
            )
            severity = item.severity
            rows.append(
                [
                    f"**{severity}**" if severity in ("critical", "high") else severity,
                    md_text(item.label, 60),
                    md_text(item.tenant),
                    md_text(item.detail, 40),
                    md_text(why, 240),
                ]
            )
        detail = "Owner" if group.by == "credential" else "Owner id"
        lines += _table(["Severity", who, "Tenant", detail, "Why"], "lllll", rows)
        rest = group.count - len(rows)
        if rest:
            lines += ["", f"_… and {rest} more {group.by}(s): see {FULL_OUTPUTS}._"]
        lines.append("")
    return lines


def _coverage(result: ScanResult) -> list[str]:
    by_tenant = result.summary["by_tenant"]
    rows = [
        [
            md_text(c.tenant),
            md_text(c.provider_label or c.provider),
            f"**{c.status}**" if c.status != "complete" else c.status,
            c.credential_count,
            len(c.record_errors),
            by_tenant.get(c.tenant, 0),
        ]
        for c in result.coverage
    ]
    lines = ["## Coverage", ""]
    lines += _table(
        ["Tenant", "Provider", "Coverage", "Credentials", "Unreadable records", "Failures"],
        "lllrrr",
        rows,
    )
    details = []
    for c in result.coverage:
        if c.error:
            details.append(f"- **{md_text(c.tenant)}** error: {md_text(c.error, 300)}")
        for note in c.note_details[:MAX_NOTES]:  # causes first, then caveats, then information
            label = NOTE_LABELS[note.severity]
            details.append(f"- {md_text(c.tenant)} ({label}): {md_text(note.text, 300)}")
        if len(c.note_details) > MAX_NOTES:
            extra = len(c.note_details) - MAX_NOTES
            details.append(f"- {md_text(c.tenant)}: … {extra} more note(s)")
        for err in c.record_errors[:MAX_NOTES]:
            where = md_text(err.record_id or (f"#{err.index}" if err.index is not None else "?"))
            details.append(f"- {md_text(c.tenant)}: record {where}: {md_text(err.message, 200)}")
        if len(c.record_errors) > MAX_NOTES:
            extra = len(c.record_errors) - MAX_NOTES
            details.append(f"- {md_text(c.tenant)}: … {extra} more unreadable record(s)")
    return [*lines, "", *details, *([""] if details else [])]


def _finding_row(f: Finding) -> list[object]:
    credential = md_text(f.credential_name or f.credential_id, 60)
    if f.change == "new":
        credential = "**new** " + credential
    return [
        f"**{f.severity}**" if f.severity in ("critical", "high") else f.severity,
        view.STATUS_LABELS[f.status],
        md_text(f.rule_id),
        md_text(f.tenant),
        credential,
        md_text(f.owner_name or f.owner_id or "", 40),
        md_text(f.message),
    ]


def _findings(result: ScanResult) -> list[str]:
    ordered = view.ordered_findings(result.findings)
    open_findings = [f for f in ordered if f.status in view.OPEN_STATUSES]
    lines = ["## Top findings", ""]
    if not open_findings:
        return [*lines, "No open findings.", ""]
    shown = open_findings[:TOP_FINDINGS]
    lines += _table(
        ["Severity", "Status", "Rule", "Tenant", "Credential", "Owner", "Finding"],
        "lllllll",
        (_finding_row(f) for f in shown),
    )
    rest = len(open_findings) - len(shown)
    if rest:
        lines += ["", f"_… and {rest} more open finding(s): see {FULL_OUTPUTS}._"]
    return [*lines, ""]


def _waiver_row(w: WaiverStatus) -> list[object]:
    state = f"**{w.state}**" if w.state in ("expired", "stale") else w.state
    return [
        md_text(w.id),
        md_text(w.rule_id),
        state,
        w.matched,
        view.fmt_date(w.expires),
        md_text(w.approved_by, 60),
        md_text(w.reason, 100),
        md_text(w.message),
    ]


def _waivers(result: ScanResult) -> list[str]:
    waivers = result.evaluation.waivers
    lines = ["## Waivers", ""]
    if not waivers:
        return [*lines, "No waivers configured.", ""]
    rank = {"expired": 0, "stale": 1, "expiring": 2, "active": 3}
    ordered = sorted(waivers, key=lambda w: (rank[w.state], w.expires, w.id))
    counts = {state: sum(1 for w in waivers if w.state == state) for state in rank}
    lines += [", ".join(f"{n} {state}" for state, n in counts.items() if n) + ".", ""]
    shown = ordered[:MAX_WAIVERS]
    lines += _table(
        ["Waiver", "Rule", "State", "Matched", "Expires", "Approved by", "Reason", "Status"],
        "lllrllll",
        (_waiver_row(w) for w in shown),
    )
    if len(ordered) > len(shown):
        lines += ["", f"_… and {len(ordered) - len(shown)} more waiver(s): see {FULL_OUTPUTS}._"]
    return [*lines, ""]


def _sections(result: ScanResult) -> Iterator[list[str]]:
    yield _header(result)
    yield _fix_first(result)
    yield _summary(result)
    yield _coverage(result)
    yield _findings(result)
    yield _waivers(result)
    yield [
        "---",
        "",
        "Full outputs: `report.html` (every finding, the inventory, the compliance matrix and "
        "the effective policy), `results.json`, `findings.csv`, `inventory.csv`, "
        "`findings.ocsf.jsonl`.",
    ]


def _chunks(result: ScanResult) -> Iterator[str]:
    for lines in _sections(result):
        yield "".join(line + "\n" for line in lines)


def stream(result: ScanResult) -> Mapping[str, Iterable[str]]:
    """The report section by section (it is bounded in size whatever the population)."""
    return {FILE_NAME: _chunks(result)}


def to_markdown(result: ScanResult) -> str:
    return "".join(_chunks(result))


def render(result: ScanResult) -> Mapping[str, str]:
    return {FILE_NAME: to_markdown(result)}
