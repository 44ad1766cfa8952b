"""The interpreter's settings while tenants collect (``auditor.app.enginecollect.collect_all``).

Collection is a few request chains that must follow one another (ConductorOne's search pages),
sharing one event loop with worker threads that normalise and check what has arrived. Two of
CPython's defaults stall those chains, and both are changed for the collection only, then put
back (``benchmarks/bench_scale.py`` measures the effect; no test times anything):

- **the GIL switch interval** (``sys.setswitchinterval``, 5 ms): a running worker thread keeps
  the GIL that long before the event loop, woken by a response, may take it, so each response
  could wait up to 5 ms to be read and answered with the next request. During collection it is
  ``SWITCH_INTERVAL``.
- **full garbage collections** (``gc``, generation 2): each one walks every container object
  alive, and a collection keeps creating long-lived ones (every record and credential), so they
  come again and again, each longer than the last: at 20,000 credentials per tenant they stopped
  the loop for 50 to 180 ms four times, on top of the young collections. During collection the
  objects alive at its start are frozen (``gc.freeze``: start-up state, never garbage) and full
  collections are held back (``FULL_COLLECTIONS_HELD``); the young generations are still
  collected as before, which frees the short-lived cycles requests and responses leave.
  Afterwards the frozen objects are unfrozen and the thresholds put back, so the next full
  collection (during evaluation or the outputs) sees everything again.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["FULL_COLLECTIONS_HELD", "SWITCH_INTERVAL", "collecting"]

SWITCH_INTERVAL = 0.0001
"""Seconds a thread may hold the GIL while another waits for it, during collection."""
FULL_COLLECTIONS_HELD = 1_000_000_000
"""The third ``gc`` threshold during collection: young-generation collections before a full one
(10 by default)."""


class _Tuning:
    """The settings held while at least one collection runs (scheduled scans run in threads of
    one process, and may overlap): the first to start saves and sets them, the last to end puts
    back what the first saved."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.saved: tuple[float, tuple[int, int, int]] = (0.0, (700, 10, 10))


_TUNING = _Tuning()


@contextmanager
def collecting() -> Iterator[None]:
    """The interpreter set for collection (see the module docstring), and put back after the
    last collection running ends."""
    with _TUNING.lock:
        _TUNING.running += 1
        if _TUNING.running == 1:
            switch, threshold = sys.getswitchinterval(), gc.get_threshold()
            _TUNING.saved = (switch, threshold)
            sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
            gc.freeze()
            gc.set_threshold(threshold[0], threshold[1], FULL_COLLECTIONS_HELD)
    try:
        yield
    finally:
        with _TUNING.lock:
            _TUNING.running -= 1
            if _TUNING.running == 0:
                switch, threshold = _TUNING.saved
                gc.set_threshold(*threshold)
                gc.unfreeze()
                sys.setswitchinterval(switch)
