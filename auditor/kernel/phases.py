"""Progress of the long phases of one tenant's collection, reported from where the work is done.

An adapter names each phase that can take long at size (ConductorOne's search pages and owner
lookups, SailPoint's owner lookups and user levels) through its HTTP client
(``ApiClient.phase``), says how many units it expects when it knows, and advances the counter as
units complete. Each change goes, as a ``PhaseUpdate``, to the client's ``PhaseListener``, which
the engine sets (``auditor.app.enginecollect``) and the CLI renders with a rate and an ETA
(``auditor.app.progress``). When the client's rate limiter is holding requests back, the update
carries that limit (``paced``), so the display can say the vendor's limit is what the phase waits
on, not the network or credaudit.

This module is below providers and the application (a provider may not import ``auditor.app``);
it does no I/O and keeps no clock of its own: times come from the client's (injectable) clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from auditor.kernel.httpsettings import RateLimit

__all__ = ["NO_PHASES", "Phase", "PhaseListener", "PhaseUpdate"]


@dataclass(frozen=True)
class PhaseUpdate:
    """One phase's state: ``done`` of ``total`` ``unit`` (``total`` ``None``: not known yet)."""

    phase: str
    done: int
    total: int | None
    unit: str
    started: float
    """When the phase started, on the client's clock (``now`` is on the same clock)."""
    now: float
    paced: RateLimit | None = None
    """The rate limit the phase's requests are waiting on at this moment, if any."""
    finished: bool = False


class PhaseListener(Protocol):
    def __call__(self, update: PhaseUpdate) -> None: ...


def _nowhere(update: PhaseUpdate) -> None:
    return None


NO_PHASES: PhaseListener = _nowhere


class Phase:
    """A counter for one phase; a context manager that reports the phase finished on exit."""

    def __init__(
        self,
        name: str,
        *,
        total: int | None,
        unit: str,
        listener: PhaseListener,
        clock: Callable[[], float],
        paced: Callable[[], RateLimit | None] = lambda: None,
    ) -> None:
        self.name = name
        self.total = total
        self.unit = unit
        self.done = 0
        self._listener = listener
        self._clock = clock
        self._paced = paced
        self._started = clock()
        self._report()

    def __enter__(self) -> Phase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.finish()

    def advance(self, units: int = 1) -> None:
        self.done += units
        self._report()

    def expect(self, total: int) -> None:
        """The number of units is now known (or has grown)."""
        self.total = total
        self._report()

    def finish(self) -> None:
        self._report(finished=True)

    def _report(self, *, finished: bool = False) -> None:
        self._listener(
            PhaseUpdate(
                self.name,
                self.done,
                self.total,
                self.unit,
                started=self._started,
                now=self._clock(),
                paced=None if finished else self._paced(),
                finished=finished,
            )
        )
