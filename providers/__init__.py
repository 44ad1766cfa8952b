"""Vendor adapters. ``PROVIDERS`` maps a config ``provider:`` name to its adapter class."""

from __future__ import annotations

from providers.base import Provider
from providers.conductorone import ConductorOneProvider
from providers.sailpoint import SailPointProvider

PROVIDERS: dict[str, type[Provider]] = {
    ConductorOneProvider.name: ConductorOneProvider,
    SailPointProvider.name: SailPointProvider,
}

__all__ = ["PROVIDERS", "Provider"]
