"""The secret sets of the clients alive in this process: the last guard on log output.

Every ``ApiClient`` registers its ``SecretSet`` here (weakly: a finished scan's set goes with it),
so a log handler can withhold the scan's secrets, in every form ``secretmatch`` knows, from
records written by code that never saw the set (httpx, httpcore, APScheduler, a traceback).
"""

from __future__ import annotations

import threading
import weakref

from auditor.kernel.secretmatch import SecretSet

_LIVE: weakref.WeakSet[SecretSet] = weakref.WeakSet()
_LOCK = threading.Lock()


def watch(secrets: SecretSet) -> None:
    with _LOCK:
        _LIVE.add(secrets)


def withhold_live(text: str) -> str:
    """``text`` with every fragment of every live secret set withheld."""
    with _LOCK:
        live = list(_LIVE)
    for secrets in live:
        text = secrets.redact(text)
    return text
