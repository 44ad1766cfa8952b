"""Output formats. ``FORMATS`` maps a format name (as in ``-f``) to its renderer.

Each renderer takes a ``ScanResult`` and returns ``{file name: text}``; the CLI writes the files
(docs/architecture.md "Output files"). ``csv`` gives two files, the others one.
"""

from __future__ import annotations

from reports import csv, html, json, markdown, ocsf, oscal
from reports.base import Renderer

FORMATS: dict[str, Renderer] = {
    "html": html.render,
    "markdown": markdown.render,
    "json": json.render,
    "csv": csv.render,
    "ocsf": ocsf.render,
    "oscal": oscal.render,
}

__all__ = ["FORMATS", "Renderer"]
