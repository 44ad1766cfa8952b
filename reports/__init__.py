"""Output formats. ``FORMATS`` maps a format name (as in ``-f``) to its renderer."""

from __future__ import annotations

from reports import json
from reports.base import Renderer

FORMATS: dict[str, Renderer] = {
    "json": json.render,
}

__all__ = ["FORMATS", "Renderer"]
