"""The HTML report's trend chart: failing findings by severity over a tenant's recorded scans, as
inline SVG.

A pure function of ``ScanResult.trend`` (filled from the history when the scan was recorded):
no script, no external request, no ``style`` attribute (the report's Content-Security-Policy
allows neither inline styles nor anything remote), colours as SVG presentation attributes, and
every text from outside escaped. A tenant needs at least two recorded scans to get a chart.

How incomplete scans are drawn, so a chart never shows a false improvement:
- a **failed** tenant has no counts: the lines break there and a dashed red rule marks the scan
  ("failed: no data", never a drop to 0);
- a **partial** tenant's counts are a lower bound: its points are hollow, with "partial" in
  their tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from markupsafe import escape

from auditor.kernel.model import SEVERITIES, TrendPoint
from auditor.kernel.timestamps import format_timestamp

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 110, 16, 34
# the report's severity palette (templates/report.css --critical ... --info)
COLOURS = {
    "critical": "#8e1b1b",
    "high": "#c2410c",
    "medium": "#a16207",
    "low": "#1d4ed8",
    "info": "#52606d",
}


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def tenant_svg(tenant: str, points: Sequence[TrendPoint]) -> str:
    """One tenant's chart; ``points`` in recording order (at least two)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max(1, *(max(p.failing.values(), default=0) for p in points))
    step = plot_w / (len(points) - 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(count: int) -> float:
        return TOP + plot_h - plot_h * count / peak

    name = escape(tenant)
    first, last = points[0], points[-1]
    label = escape(
        f"Failing findings by severity for {tenant} over {len(points)} scans, "
        f"{format_timestamp(first.as_of)} to {format_timestamp(last.as_of)}"
    )
    out = [
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{name}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="#d9dee4"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11" '
        f'fill="#616e7c">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11" '
        'fill="#616e7c">0</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="11" fill="#616e7c">'
        f"{escape(first.as_of.date().isoformat())}</text>",
        f'<text x="{LEFT + plot_w}" y="{HEIGHT - 8}" text-anchor="end" font-size="11" '
        f'fill="#616e7c">{escape(last.as_of.date().isoformat())}</text>',
    ]
    for i, point in enumerate(points):
        if point.status == "failed":
            when = escape(format_timestamp(point.as_of))
            out.append(
                f'<line x1="{_num(x(i))}" y1="{TOP}" x2="{_num(x(i))}" y2="{TOP + plot_h}" '
                f'stroke="#c53030" stroke-dasharray="4 3"><title>{when}: failed, no data'
                "</title></line>"
            )
    for row, sev in enumerate(SEVERITIES):
        colour = COLOURS[sev]
        runs: list[list[str]] = [[]]
        for i, point in enumerate(points):
            if point.status == "failed":
                runs.append([])
                continue
            runs[-1].append(f"{_num(x(i))},{_num(y(point.failing.get(sev, 0)))}")
        for run in runs:
            if len(run) > 1:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>'
                )
        for i, point in enumerate(points):
            if point.status == "failed":
                continue
            count = point.failing.get(sev, 0)
            partial = point.status == "partial"
            tip = escape(
                f"{format_timestamp(point.as_of)}: {count} {sev}"
                + (" (partial scan: at least)" if partial else "")
            )
            fill = "#fff" if partial else colour
            out.append(
                f'<circle cx="{_num(x(i))}" cy="{_num(y(count))}" r="3" fill="{fill}" '
                f'stroke="{colour}"><title>{tip}</title></circle>'
            )
        ly = TOP + 6 + row * 16
        out.append(
            f'<rect x="{WIDTH - RIGHT + 14}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{WIDTH - RIGHT + 30}" y="{ly + 1}" font-size="11" '
            f'fill="#1f2933">{sev}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def trend_svg(points: Sequence[TrendPoint]) -> str:
    """One chart per tenant with at least two recorded scans, in tenant order; "" when none."""
    ordered = sorted(enumerate(points), key=lambda ip: (ip[1].tenant, ip[0]))
    charts = []
    for tenant, group in groupby(ordered, key=lambda ip: ip[1].tenant):
        series = [p for _, p in group]
        if len(series) >= 2:
            charts.append(tenant_svg(tenant, series))
    return "".join(charts)
