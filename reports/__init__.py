"""Output formats. ``FORMATS`` maps a format name (as in ``-f``) to its ``Streamer``.

Each streamer takes a ``ScanResult`` and returns ``{file name: lazy text chunks}``; the caller
writes the files as the chunks come (``auditor.app.outputset``), and each format module's
``render`` gives the joined text (``reports.base``; docs/architecture.md "Output files"). ``csv``
gives two files, the others one.
"""

from __future__ import annotations

from auditor.kernel.model import ScanResult
from reports import csv, html, json, markdown, ocsf, oscal
from reports.base import Renderer, Streamer, joined, streaming

FORMATS: dict[str, Streamer] = {
    "html": html.stream,
    "markdown": markdown.stream,
    "json": json.stream,
    "csv": csv.stream,
    "ocsf": ocsf.stream,
    "oscal": oscal.stream,
}


def render(name: str, result: ScanResult) -> dict[str, str]:
    """Format ``name``'s files, joined (for tests and small outputs)."""
    return joined(FORMATS[name](result))


__all__ = ["FORMATS", "Renderer", "Streamer", "joined", "render", "streaming"]
