"""credaudit: cross-vendor credential hygiene auditor (the core package)."""

from __future__ import annotations

__version__ = "0.1.0"
