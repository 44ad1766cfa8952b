"""Vendor adapters. ``PROVIDERS`` maps a config ``provider:`` name to its adapter class."""

from __future__ import annotations

from providers.base import Provider

PROVIDERS: dict[str, type[Provider]] = {}

__all__ = ["PROVIDERS", "Provider"]
