"""The report contract: a format renders a ``ScanResult`` to text; the CLI writes the files.

A format may produce several files (CSV gives ``findings.csv`` and ``inventory.csv``), so
``render`` returns a mapping of file name to text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from auditor.kernel.model import ScanResult

Renderer = Callable[[ScanResult], Mapping[str, str]]
