"""Vendor adapters, one subpackage each; ``registry`` says which exist (built in, or added by
another package through the ``credaudit.providers`` entry point group)."""

from __future__ import annotations

from providers.base import Provider
from providers.registry import BUILTIN, registry

PROVIDERS = BUILTIN
"""The built-in vendors (``registry()`` adds the plug-ins)."""

__all__ = ["PROVIDERS", "Provider", "registry"]
