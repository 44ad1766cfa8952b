"""What a webhook notification says (``auditor.app.notify``): the run it reports, whether the run
deserves a message, and the JSON body with its Slack-compatible ``text``.

Vendor strings (credential names, owner names, messages) are untrusted: in ``text`` they are
escaped the way Slack requires (``slack_escape``), bounded and single-line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditor.kernel.http import clean_vendor_text
from auditor.kernel.model import SEVERITY_RANK, Finding, ScanResult
from auditor.kernel.timestamps import format_timestamp

TOP_FINDINGS = 10


@dataclass(frozen=True)
class RunReport:
    """What a notification says about one scheduled run (``result`` is None when it crashed)."""

    schedule: str
    status: str
    """``complete`` | ``partial`` | ``incomplete`` (the scan's status) or ``failed``."""
    run: str
    started_at: datetime
    duration_seconds: float
    result: ScanResult | None = None
    error: str | None = None


def slack_escape(text: str, limit: int = 300) -> str:
    """Untrusted text for Slack ``text``: single line, bounded, ``&<>`` escaped (Slack docs,
    "Escaping text": only these three are control characters in message text)."""
    cleaned = clean_vendor_text(text, limit=limit)
    cleaned = cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Slack auto-links bare URLs and domains: a zero-width joiner inside "://" and after "www"
    # keeps a vendor-supplied name from becoming a clickable link in the alert
    return cleaned.replace("://", ":\u2060//").replace("www.", "www\u2060.")


def new_findings(result: ScanResult, min_severity: str) -> list[Finding]:
    """New failing findings at or above ``min_severity``, most severe first, stable order."""
    threshold = SEVERITY_RANK[min_severity]
    picked = [
        f
        for f in result.findings
        if f.status == "fail" and f.change == "new" and SEVERITY_RANK[f.severity] >= threshold
    ]
    return sorted(
        picked,
        key=lambda f: (
            -SEVERITY_RANK[f.severity],
            f.tenant,
            f.rule_id,
            f.credential_id,
        ),
    )


def reasons(report: RunReport, min_severity: str) -> list[str]:
    """Why this run deserves a message; empty: no message."""
    why = []
    if report.status != "complete":
        why.append(f"run {report.status}")
    if report.result is not None and new_findings(report.result, min_severity):
        why.append(f"new findings at or above {min_severity}")
    return why


def build_message(report: RunReport, min_severity: str, top: int = TOP_FINDINGS) -> dict[str, Any]:
    """The JSON body: ``text`` (Slack mrkdwn) plus structured ``scan``, ``summary``,
    ``new_findings`` (top ``top``) and ``coverage``. Facts only, never a secret."""
    result = report.result
    fresh = new_findings(result, min_severity) if result is not None else []
    scan: dict[str, Any] = {
        "schedule": report.schedule,
        "run": report.run,
        "status": report.status,
        "started_at": format_timestamp(report.started_at),
        "duration_seconds": round(report.duration_seconds, 3),
        "error": report.error,
    }
    if result is not None:
        scan.update(id=result.scan.id, as_of=format_timestamp(result.scan.as_of))
    shown = [
        {
            "rule_id": f.rule_id,
            "severity": f.severity,
            "tenant": f.tenant,
            "credential_id": f.credential_id,
            "credential_name": f.credential_name,
            "owner_name": f.owner_name,
            "message": f.message,
        }
        for f in fresh[:top]
    ]
    coverage = [
        {
            "tenant": c.tenant,
            "provider": c.provider,
            "status": c.status,
            "credential_count": c.credential_count,
            "error": c.error,
        }
        for c in (result.coverage if result is not None else ())
    ]
    return {
        "text": _text(report, fresh, min_severity, top),
        "scan": scan,
        "summary": result.summary if result is not None else {},
        "new_findings": shown,
        "new_findings_total": len(fresh),
        "min_severity": min_severity,
        "reasons": reasons(report, min_severity),
        "coverage": coverage,
    }


def _text(report: RunReport, fresh: list[Finding], min_severity: str, top: int) -> str:
    e = slack_escape
    head = f"credaudit schedule *{e(report.schedule)}*: run {e(report.status)}"
    if fresh:
        head += f", {len(fresh)} new finding(s) at or above {e(min_severity)}"
    lines = [head]
    result = report.result
    if report.error:
        lines.append(f"Error: {e(report.error)}")
    if result is not None:
        s = result.summary
        by = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n)
        new_failing = sum(1 for f in result.findings if f.change == "new" and f.status == "fail")
        lines.append(
            f"{s['credentials']} credential(s) in {s['tenants']} tenant(s); "
            f"{s['findings']} failing ({by or 'none'}); {new_failing} of them new"
        )
        for f in fresh[:top]:
            who = f" (owner {e(f.owner_name, 80)})" if f.owner_name else ""
            lines.append(
                f"• {f.severity} `{e(f.rule_id, 64)}` {e(f.tenant, 64)} / "
                f"{e(f.credential_name or f.credential_id, 120)}{who}: {e(f.message)}"
            )
        if len(fresh) > top:
            lines.append(f"…and {len(fresh) - top} more in the run's reports")
        for c in result.coverage:
            if c.status != "complete":
                reason = f": {e(c.error)}" if c.error else ""
                lines.append(f"Tenant {e(c.tenant, 64)} {c.status}{reason}")
    lines.append(f"Reports: run {e(report.run)}")
    return "\n".join(lines)
