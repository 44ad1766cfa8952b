"""Wiring of the simulated vendor tenants: the in-process demo and the loopback sandbox.

The simulations themselves live with their vendors (``providers/<vendor>/simulator.py``); this
module only assembles them: ``demo_plan`` routes the real adapters to the simulated apps through
an in-process transport (no socket, no credentials from the user), and ``Sandbox`` serves the same
apps over real HTTP on loopback for end-to-end tests, benchmarks and manual exploration, with a
config file and an env file any client can use.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr

from auditor.kernel.errors import UsageError
from auditor.kernel.http import HttpSettings
from auditor.kernel.urls import is_loopback_host
from providers.base import TenantSettings
from providers.conductorone import ConductorOneProvider, ConductorOneSimulator
from providers.conductorone import SimFaults as C1Faults
from providers.sailpoint import SailPointProvider, SailPointSimulator
from providers.sailpoint import SimFaults as SPFaults
from providers.sailpoint.levels import lookup_seconds, owners_to_look_up
from providers.sailpoint.options import SailPointOptions

C1_HOST = "demo.conductor.one"
SP_HOST = "demo.api.identitynow.com"
LEVELS_BUDGET = 60.0
"""Seconds of SailPoint user-level lookups the written config turns on without being asked."""
ENV_NAMES = {
    "sandbox-c1": ("CREDAUDIT_SANDBOX_C1_CLIENT_ID", "CREDAUDIT_SANDBOX_C1_CLIENT_SECRET"),
    "sandbox-isc": ("CREDAUDIT_SANDBOX_ISC_CLIENT_ID", "CREDAUDIT_SANDBOX_ISC_CLIENT_SECRET"),
}


class HostRouter(httpx.AsyncBaseTransport):
    """An in-process transport: each host name goes to its ASGI app; anything else fails."""

    def __init__(self, apps: Mapping[str, Any]) -> None:
        self._transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._transports.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no simulated tenant at {request.url.host}", request=request)
        return await transport.handle_async_request(request)


@dataclass(frozen=True)
class Faults:
    """``--faults`` for both vendors, e.g. ``rate-limit=0.1,burst-503=50:3,deny-owner-lookup``."""

    rate_limit_fraction: float = 0.0
    burst_503_every: int = 0
    burst_503_length: int = 0
    error_503_fraction: float = 0.0
    deny_owner_lookup: bool = False
    deny_session_settings: bool = False
    """ConductorOne only: ``GET /api/v1/settings/session`` answers 403."""
    malformed_records: int = 0

    @classmethod
    def parse(cls, text: str | None) -> Faults:
        values: dict[str, Any] = {}
        for item in filter(None, (p.strip() for p in (text or "").split(","))):
            name, _, value = item.partition("=")
            try:
                if name == "rate-limit":
                    values["rate_limit_fraction"] = float(value)
                elif name == "burst-503":
                    every, _, length = value.partition(":")
                    values["burst_503_every"] = int(every)
                    values["burst_503_length"] = int(length or "1")
                elif name == "error-503":
                    values["error_503_fraction"] = float(value)
                elif name == "deny-owner-lookup" and not value:
                    values["deny_owner_lookup"] = True
                elif name == "deny-session-settings" and not value:
                    values["deny_session_settings"] = True
                elif name == "malformed":
                    values["malformed_records"] = int(value)
                else:
                    raise ValueError(name)
            except ValueError:
                raise UsageError(
                    f"--faults: cannot read {item!r}; use rate-limit=FRACTION, "
                    "burst-503=EVERY:LENGTH, error-503=FRACTION, deny-owner-lookup, "
                    "deny-session-settings, malformed=COUNT"
                ) from None
        return cls(**values)

    def conductorone(self, latency_ms: int) -> C1Faults:
        return C1Faults(
            latency_ms=latency_ms,
            rate_limit_fraction=self.rate_limit_fraction,
            burst_503_every=self.burst_503_every,
            burst_503_length=self.burst_503_length,
            deny_user_search=self.deny_owner_lookup,
            deny_session_settings=self.deny_session_settings,
            malformed_records=self.malformed_records,
        )

    def sailpoint(self, latency_ms: int) -> SPFaults:
        return SPFaults(
            latency_ms=latency_ms,
            error_503_fraction=self.error_503_fraction,
            deny_identity_lookup=self.deny_owner_lookup,
            malformed_records=self.malformed_records,
        )


@dataclass
class Simulation:
    """One simulated tenant of each vendor, with a credential minted for the auditor."""

    as_of: datetime
    seed: int = 0
    size: int | None = None
    latency_ms: int = 0
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        self.c1 = ConductorOneSimulator(
            seed=self.seed,
            size=self.size,
            anchor=self.as_of,
            faults=self.faults.conductorone(self.latency_ms),
            host=C1_HOST,
        )
        self.sp = SailPointSimulator(
            seed=self.seed,
            size=self.size,
            anchor=self.as_of,
            faults=self.faults.sailpoint(self.latency_ms),
        )
        self.c1_credentials = self.c1.mint_client("admin")
        self.sp_credentials = self.sp.mint_client("admin")

    def tenants(self, c1_url: str | None, sp_url: str) -> tuple[TenantSettings, ...]:
        c1_id, c1_secret = self.c1_credentials
        sp_id, sp_secret = self.sp_credentials
        return (
            TenantSettings(
                name="sandbox-c1",
                provider=ConductorOneProvider.name,
                client_id=c1_id,
                client_secret=SecretStr(c1_secret),
                base_url=c1_url,
            ),
            TenantSettings(
                name="sandbox-isc",
                provider=SailPointProvider.name,
                client_id=sp_id,
                client_secret=SecretStr(sp_secret),
                base_url=sp_url,
                # the demo shows what the opt-in lookup adds
                options=SailPointOptions(user_levels=True),
                http=HttpSettings(rate_limit=SailPointProvider.default_rate_limit),
            ),
        )

    def in_process(self) -> tuple[tuple[TenantSettings, ...], HostRouter]:
        """Tenants and the transport that routes them to the simulated apps, in-process."""
        router = HostRouter({C1_HOST: self.c1.app, SP_HOST: self.sp.app})
        return self.tenants(None, f"https://{SP_HOST}"), router


class Sandbox:
    """Serves a ``Simulation`` over HTTP on loopback (``port`` for ConductorOne, ``port+1``)."""

    def __init__(self, simulation: Simulation, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback_host(host):
            raise UsageError(
                f"--host {host}: the sandbox serves known credentials and binds loopback only "
                "(127.0.0.0/8, ::1, localhost)"
            )
        self.simulation = simulation
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sockets = [_bind(family, host, port), _bind(family, host, port + 1 if port else 0)]
        self.servers = [
            uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
            for app in (simulation.c1.app, simulation.sp.app)
        ]
        self._thread: threading.Thread | None = None

    @property
    def urls(self) -> tuple[str, str]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        ports = [s.getsockname()[1] for s in self.sockets]
        return f"http://{host}:{ports[0]}", f"http://{host}:{ports[1]}"

    def tenants(self) -> tuple[TenantSettings, ...]:
        return self.simulation.tenants(*self.urls)

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

    def user_levels(self) -> tuple[bool, str]:
        """Whether the written config turns SailPoint's ``user_levels`` on, and a line saying
        what that phase costs: one request per owner under the rate limit, so minutes at size.
        It is on only while it costs at most ``LEVELS_BUDGET``."""
        pats = self.simulation.sp.dataset.pats
        owners = owners_to_look_up(
            (p.owner_id, None if p.scope is None else list(p.scope)) for p in pats
        )
        limit = SailPointProvider.default_rate_limit
        seconds = lookup_seconds(owners, limit) if limit else 0.0
        cost = (
            f"up to {owners} owner user-level lookups, one request each: about {seconds / 60:.1f} "
            f"min at SailPoint's rate limit ({limit.requests} requests per {limit.per_seconds:g} s)"
            if limit
            else f"{owners} owner user-level lookups"
        )
        if seconds <= LEVELS_BUDGET:
            return True, f"sandbox-isc: user_levels: true ({cost})"
        return False, (
            f"sandbox-isc: user_levels left off: it would add {cost}; set user_levels: true in "
            "the config to include it (privileged-access is manual for full-scope PATs without it)"
        )

    def write_config(self, folder: Path) -> tuple[Path, Path]:
        """``sandbox-config.yaml`` and ``sandbox.env`` (mode 0600: it holds the secrets)."""
        folder.mkdir(parents=True, exist_ok=True)
        levels_on, levels_cost = self.user_levels()
        levels_line = "    user_levels: true\n" if levels_on else "    # user_levels: true\n"
        c1_url, sp_url = self.urls
        config = folder / "sandbox-config.yaml"
        c1_env, sp_env = ENV_NAMES["sandbox-c1"], ENV_NAMES["sandbox-isc"]
        config.write_text(
            "# Written by `credaudit sandbox`: the simulated tenants on loopback.\n"
            "# Load the credentials first:  set -a; . ./sandbox.env; set +a\n"
            "tenants:\n"
            "  - name: sandbox-c1\n"
            "    provider: conductorone\n"
            f"    base_url: {c1_url}\n"
            f"    client_id_env: {c1_env[0]}\n"
            f"    client_secret_env: {c1_env[1]}\n"
            "  - name: sandbox-isc\n"
            "    provider: sailpoint\n"
            f"    base_url: {sp_url}\n"
            f"    client_id_env: {sp_env[0]}\n"
            f"    client_secret_env: {sp_env[1]}\n"
            f"    # {levels_cost.removeprefix('sandbox-isc: ')}\n"
            f"{levels_line}"
            "output:\n"
            "  dir: sandbox-reports\n",
            encoding="utf-8",
        )
        env = folder / "sandbox.env"
        values = {
            c1_env[0]: self.simulation.c1_credentials[0],
            c1_env[1]: self.simulation.c1_credentials[1],
            sp_env[0]: self.simulation.sp_credentials[0],
            sp_env[1]: self.simulation.sp_credentials[1],
        }
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
