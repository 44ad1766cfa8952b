"""ConductorOne personal clients: the adapter and a faithful simulated tenant.

``ConductorOneProvider`` collects every user's personal clients (``adapter.py``);
``ConductorOneSimulator`` serves a seeded or curated tenant over ASGI (``simulator.py``), with
faults described by ``SimFaults``.
"""

from __future__ import annotations

from providers.conductorone.adapter import ConductorOneProvider
from providers.conductorone.simfaults import SimFaults
from providers.conductorone.simulator import ConductorOneSimulator

__all__ = ["ConductorOneProvider", "ConductorOneSimulator", "SimFaults"]
