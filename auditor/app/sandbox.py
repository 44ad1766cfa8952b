"""Wiring of the simulated vendor tenants: the in-process demo and the loopback sandbox.

The simulations themselves live with their vendors (``providers/<vendor>/simulator.py``), each
declared by its provider (``Provider.simulated_tenant``, ``providers.simulation``); this module
only assembles those of the registered vendors: ``Simulation.in_process`` routes the real adapters
to the simulated apps through an in-process transport (no socket, no credentials from the user),
and ``Sandbox`` serves the same apps over real HTTP on loopback for end-to-end tests, benchmarks
and manual exploration, with a config file and an env file any client can use.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from auditor.kernel.errors import UsageError
from auditor.kernel.urls import is_loopback_host
from providers.base import Provider, TenantSettings
from providers.registry import registry
from providers.simulation import Faults, SimulatedTenant

__all__ = ["Faults", "HostRouter", "Sandbox", "Simulation"]


class HostRouter(httpx.AsyncBaseTransport):
    """An in-process transport: each host name goes to its ASGI app; anything else fails."""

    def __init__(self, apps: Mapping[str, Any]) -> None:
        self._transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._transports.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no simulated tenant at {request.url.host}", request=request)
        return await transport.handle_async_request(request)


@dataclass
class Simulation:
    """One simulated tenant of each registered vendor that declares one
    (``Provider.simulated_tenant``), in registry order, each with a credential minted for the
    auditor."""

    as_of: datetime
    seed: int = 0
    size: int | None = None
    latency_ms: int = 0
    faults: Faults = field(default_factory=Faults)
    providers: Mapping[str, type[Provider]] | None = None
    """The vendors to simulate (default: the provider registry)."""

    def __post_init__(self) -> None:
        providers = self.providers if self.providers is not None else registry().providers
        self.simulated: tuple[SimulatedTenant, ...] = tuple(
            tenant(
                seed=self.seed,
                size=self.size,
                anchor=self.as_of,
                latency_ms=self.latency_ms,
                faults=self.faults,
            )
            for provider in providers.values()
            if (tenant := provider.simulated_tenant()) is not None
        )
        if not self.simulated:
            raise UsageError("no registered vendor declares a simulated tenant")

    def tenant(self, provider: str) -> SimulatedTenant:
        """The simulated tenant of vendor ``provider``."""
        found = [t for t in self.simulated if t.provider == provider]
        if not found:
            raise KeyError(f"no simulated tenant for {provider!r}")
        return found[0]

    def tenants(self, urls: Sequence[str | None] | None = None) -> tuple[TenantSettings, ...]:
        """The tenants' settings: each at its URL in ``urls`` (``None``: in-process)."""
        urls = urls if urls is not None else [None] * len(self.simulated)
        return tuple(t.settings(url) for t, url in zip(self.simulated, urls, strict=True))

    def in_process(self) -> tuple[tuple[TenantSettings, ...], HostRouter]:
        """Tenants and the transport that routes them to the simulated apps, in-process."""
        router = HostRouter({t.host: t.app for t in self.simulated})
        return self.tenants(), router


class Sandbox:
    """Serves a ``Simulation`` over HTTP on loopback: its tenants on ``port``, ``port+1``, …
    (registry order), or each on a free port when ``port`` is 0."""

    def __init__(self, simulation: Simulation, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback_host(host):
            raise UsageError(
                f"--host {host}: the sandbox serves known credentials and binds loopback only "
                "(127.0.0.0/8, ::1, localhost)"
            )
        self.simulation = simulation
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sockets = [
            _bind(family, host, port + n if port else 0) for n in range(len(simulation.simulated))
        ]
        self.servers = [
            uvicorn.Server(uvicorn.Config(t.app, log_level="warning", lifespan="off"))
            for t in simulation.simulated
        ]
        self._thread: threading.Thread | None = None

    @property
    def urls(self) -> tuple[str, ...]:
        """Each simulated tenant's URL, in ``simulation.simulated`` order."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return tuple(f"http://{host}:{s.getsockname()[1]}" for s in self.sockets)

    def tenants(self) -> tuple[TenantSettings, ...]:
        return self.simulation.tenants(self.urls)

    async def serve(self) -> None:
        await asyncio.gather(
            *(
                server.serve(sockets=[sock])
                for server, sock in zip(self.servers, self.sockets, strict=True)
            )
        )

    def start_in_thread(self) -> None:
        """For tests: serve in a daemon thread until ``stop``."""
        for server in self.servers:
            server.config.install_signal_handlers = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=lambda: asyncio.run(self.serve()), daemon=True)
        self._thread.start()
        while not all(server.started for server in self.servers):
            threading.Event().wait(0.01)

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def config_costs(self) -> list[str]:
        """What each tenant's written configuration turns on or leaves off, and what it costs
        (``SimulatedTenant.config_comments``), one line per tenant, for the sandbox's output."""
        return [
            f"{tenant.tenant_name}: {comment}"
            for tenant in self.simulation.simulated
            for comment in tenant.config_comments()[:1]
        ]

    def write_config(self, folder: Path) -> tuple[Path, Path]:
        """``sandbox-config.yaml`` and ``sandbox.env`` (mode 0600: it holds the secrets)."""
        folder.mkdir(parents=True, exist_ok=True)
        lines = [
            "# Written by `credaudit sandbox`: the simulated tenants on loopback.",
            "# Load the credentials first:  set -a; . ./sandbox.env; set +a",
            "tenants:",
        ]
        values: dict[str, str] = {}
        for tenant, url in zip(self.simulation.simulated, self.urls, strict=True):
            id_env, secret_env = tenant.env_names
            client_id, secret = tenant.credentials
            lines += [
                f"  - name: {tenant.tenant_name}",
                f"    provider: {tenant.provider}",
                f"    base_url: {url}",
            ]
            if client_id:  # a single-token vendor has none
                lines.append(f"    client_id_env: {id_env}")
                values[id_env] = client_id
            lines.append(f"    client_secret_env: {secret_env}")
            values[secret_env] = secret
            remediation = tenant.mint_remediation()
            if remediation is not None:  # a separate credential that may revoke
                rem_id_env, rem_secret_env = (
                    name.replace("_CLIENT_", "_REMEDIATION_CLIENT_") for name in tenant.env_names
                )
                if remediation[0]:
                    lines.append(f"    remediation_client_id_env: {rem_id_env}")
                    values[rem_id_env] = remediation[0]
                lines.append(f"    remediation_client_secret_env: {rem_secret_env}")
                values[rem_secret_env] = remediation[1]
            lines += [f"    # {comment}" for comment in tenant.config_comments()]
            lines += [f"    {key}: {value}" for key, value in tenant.config_keys().items()]
        lines += ["output:", "  dir: sandbox-reports", ""]
        config = folder / "sandbox-config.yaml"
        config.write_text("\n".join(lines), encoding="utf-8")
        env = folder / "sandbox.env"
        # created 0600 and never through a symlink planted where the file goes
        fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(f"{name}='{value}'\n" for name, value in values.items())
        os.chmod(env, 0o600)
        return config, env


def _bind(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    # proto IPPROTO_TCP, not 0: accepted sockets inherit it, and asyncio sets TCP_NODELAY only on
    # sockets whose proto says TCP (asyncio.base_events._set_nodelay). With proto 0 every response
    # went out as two segments (headers, then body) and the body waited ~40 ms for the client's
    # delayed ACK (Nagle); the same as uvicorn issue #3149. TCP_NODELAY on the listener as well,
    # which accepted sockets inherit on Linux, for event loops that do not set it themselves.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    return sock
