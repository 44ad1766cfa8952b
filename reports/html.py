"""``report.html``: one self-contained audit document (docs/architecture.md "Output files").

Security model (vendor strings are untrusted, docs/architecture.md "Non-negotiables"):
- Jinja2 with autoescaping on for every value; vendor data is never marked safe. The only
  ``Markup`` values are our own static stylesheet and script (``templates/report.css`` and
  ``report.js``), checked at load time not to contain a closing tag.
- A Content-Security-Policy meta tag: ``default-src 'none'``, the stylesheet and the script
  allowed by their SHA-256 hash only, ``img-src data:`` (the favicon placeholder), no base URI,
  no form target. No inline event handler and no ``style`` attribute anywhere (both would need
  ``'unsafe-inline'``/``'unsafe-hashes'``); SVG charts use presentation attributes and classes.
- No external request of any kind: system fonts, inline SVG, ``data:`` favicon.
- The findings and the inventory are data islands (``reports.html_island``): JSON in
  ``<script type="application/json">`` (not executed, so not in the CSP), with ``<``, ``>``,
  ``&``, U+2028 and U+2029 escaped so no vendor string can end the element; the script builds
  each row with ``textContent``, never parsing data as HTML.

Scale (issue #16): a table row per finding and credential made 100 MB and 13 s at 100,000
credentials. Now only the rows on screen exist; filters, search and sort work on the islands'
indices (``templates/report.js``); ``benchmarks/bench_html.py`` measures 100,000 credentials.
Without JavaScript the ``STATIC_ROWS`` most severe findings are rows in the HTML and the page
says where the rest is. The page is produced as a stream of chunks (``stream``); ``render``
joins them. Layout (issue #17): fix-first first (``reports.view_fix``), card rows below 821 px,
an A4 landscape print stylesheet; ``tests/reports/test_layout.py`` checks both in Chromium.
``not_applicable`` results are shown grouped (tenant, rule, reason, count) rather than as rows:
they are vendor capability gaps, two per SailPoint PAT, and every one is in ``results.json``,
``findings.csv`` and ``findings.ocsf.jsonl``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from auditor.kernel.model import SEVERITIES, ScanResult
from auditor.kernel.visible import visible
from reports import html_island, view, view_fix
from reports.base import buffered
from reports.trendchart import trend_svg

FILE_NAME = "report.html"
TEMPLATES = Path(__file__).with_name("templates")
CHART_WIDTH = 360
BAR_AREA = 200
STATIC_ROWS = 200
"""Findings written as table rows, most severe first: what a reader without JavaScript sees."""
FIX_ITEMS = 12
"""Credentials (or owners) listed per fix-first group; the rest are one filter away."""
WHY_ITEMS = 4
"""Findings listed behind one credential or owner in the fix-first section."""


@dataclass(frozen=True)
class Asset:
    """An inline stylesheet or script and its CSP source expression."""

    text: Markup
    csp: str


def _asset(name: str, closing: str) -> Asset:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    if closing in text.lower():
        raise ValueError(f"{name} must not contain {closing!r}: it is inlined")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    # Our own static file, not vendor data: marking it safe is what inlining means.
    return Asset(Markup(text), f"'sha256-{digest}'")  # noqa: S704


def _shown(value: object) -> object:
    """Every ``{{ }}`` value: text with its hidden characters marked (``kernel.visible``),
    before autoescaping; our own markup (``Markup``: inlined assets) as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value, keep="\n\r\t")
    return value


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    env.filters["time"] = view.fmt_time
    env.filters["date"] = view.fmt_date
    env.filters["num"] = lambda n: f"{n:,}"
    env.filters["pretty"] = lambda data: json.dumps(data, indent=2, sort_keys=True, default=str)
    return env


@cache
def assets() -> tuple[Asset, Asset, Asset]:
    """The stylesheet, the report script (in ``<head>``: marks ``<html class="js">`` before the
    tables parse, defines ``credauditInit``) and the one-line call placed after each table."""
    return (
        _asset("report.css", "</style"),
        _asset("report.js", "</script"),
        _asset("init.js", "</script"),
    )


def content_security_policy() -> str:
    css, js, init = assets()
    return (
        f"default-src 'none'; style-src {css.csp}; script-src {js.csp} {init.csp}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    tone: str
    y: int
    width: int


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    bars: list[Bar]
    height: int
    total: int


def chart(title: str, description: str, buckets: Sequence[view.Bucket]) -> Chart:
    """A horizontal bar chart laid out in Python; the template only draws the rectangles."""
    peak = max((b.count for b in buckets), default=0) or 1
    bars = [
        Bar(b.label, b.count, b.tone, 8 + i * 26, round(BAR_AREA * b.count / peak))
        for i, b in enumerate(buckets)
    ]
    return Chart(title, description, bars, 16 + 26 * len(bars), sum(b.count for b in buckets))


def _severity_chart(result: ScanResult) -> Chart:
    buckets = [view.Bucket(sev, n, f"sev-{sev}") for sev, n in view.severity_counts(result)]
    return chart("Failures by severity", "fail only; manual review is counted apart", buckets)


def context(result: ScanResult) -> dict[str, Any]:
    """Everything the template shows, precomputed (the template holds no logic). The data
    islands are generators: rows are encoded while the page streams out."""
    as_of = result.scan.as_of
    findings = view.ordered_findings(result.findings)
    rows = [f for f in findings if f.status != "not_applicable"]
    islands = html_island.Islands(rows, result.credentials)
    css, js, init = assets()
    return {
        "r": result,
        "s": result.summary,
        "h": view_fix.headline(result),
        "fix": view_fix.fix_first(rows),
        "fix_items": FIX_ITEMS,
        "why_items": WHY_ITEMS,
        "css": css.text,
        "js": js.text,
        "init": init.text,
        "csp": content_security_policy(),
        "labels": view.STATUS_LABELS,
        "providers": view.provider_labels(result),
        "severities": SEVERITIES,
        "statuses": view.status_counts(result),
        "incomplete": view.incomplete_coverage(result),
        "charts": [
            _severity_chart(result),
            chart(
                "Credentials by last use",
                "time since last use at as-of",
                view.last_use_buckets(result.credentials, as_of),
            ),
            chart(
                "Expiry horizon",
                "time left before expiry at as-of",
                view.expiry_buckets(result.credentials, as_of),
            ),
        ],
        "chart_width": CHART_WIDTH,
        # the trend chart (reports/trendchart.py): our own SVG, every outside text escaped
        "trend": Markup(trend_svg(result.trend)),  # noqa: S704
        "rules": view.rule_rows(result),
        "tenants": sorted({c.tenant for c in result.coverage}),
        "finding_rules": sorted({f.rule_id for f in rows}),
        "finding_total": len(rows),
        "static_rows": rows[:STATIC_ROWS],
        "waiver_text": html_island.waiver_text,
        "has_new": any(f.change == "new" for f in rows),
        "not_applicable": view.not_applicable_groups(result),
        "island_dicts": _markup(islands.dictionaries()),
        "island_credentials": _markup(islands.credentials()),
        "island_findings": _markup(islands.findings()),
        "waivers": sorted(
            result.evaluation.waivers,
            key=lambda w: (("expired", "stale", "expiring", "active").index(w.state), w.id),
        ),
        "matrix": view.compliance_matrix(result),
        "gaps": result.evaluation.constraint_gaps,
        "policy_rules": _policy_rules(result.evaluation.policy),
        "policy_extra": {
            k: v for k, v in result.evaluation.policy.items() if k != "rules" and v not in ({}, [])
        },
        "resolved": view.ordered_findings(result.resolved),
        "remediation": {f.rule_id: f.remediation for f in findings if f.remediation},
    }


def _markup(chunks: Iterator[str]) -> Iterator[Markup]:
    """Island text is safe JSON (``html_island.safe_json``): no ``<``, ``>`` or ``&`` left to
    escape, so it is inlined as it is."""
    for chunk in chunks:
        yield Markup(chunk)  # noqa: S704


def _policy_rules(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    rules = policy.get("rules", {})
    if not isinstance(rules, dict):
        return []
    out = []
    for rule_id, settings in rules.items():
        settings = settings if isinstance(settings, dict) else {}
        params = settings.get("parameters", {})
        out.append(
            {
                "id": rule_id,
                "enabled": settings.get("enabled", True),
                "severity": settings.get("severity", ""),
                "parameters": [
                    (k, _parameter(v))
                    for k, v in (params.items() if isinstance(params, dict) else ())
                ],
            }
        )
    return out


def _parameter(value: object) -> str:
    """A policy parameter as the YAML configuration spells it (``false``, ``a, b``)."""
    if isinstance(value, list | tuple):
        return ", ".join(_parameter(v) for v in value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return str(value)


def chunks(result: ScanResult) -> Iterator[str]:
    """The page as it is produced: Jinja's ``generate`` with the islands encoded on the way."""
    return _environment().get_template("report.html.j2").generate(**context(result))


def stream(result: ScanResult) -> Mapping[str, Iterable[str]]:
    """``{file name: chunks}``; nothing holds the whole page (the islands are generators).
    Jinja yields one small piece per template node: regrouped into pieces of about 64 Ki for
    whoever writes, hashes and checks them."""
    return {FILE_NAME: buffered(chunks(result))}


def to_html(result: ScanResult) -> str:
    return "".join(chunks(result))


def render(result: ScanResult) -> Mapping[str, str]:
    return {FILE_NAME: to_html(result)}
