"""Shared test doubles: a fake clock whose sleep advances time instantly."""

from __future__ import annotations

from typing import Any


class FakeTime:
    """Monotonic clock + sleep: ``await sleep(s)`` records ``s`` and moves the clock, instantly."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def count_compactions(monkeypatch: Any) -> list[Any]:
    """From now on, every model a ``Sharing`` pool compacts (``Sharing._compact``: each model it
    shares, which a pool passes over when it shared the model already), in order."""
    from auditor.kernel.sharing import Sharing

    compacted: list[Any] = []
    real = Sharing._compact

    def counting(self: Sharing, model: Any) -> dict[str, Any]:
        compacted.append(model)
        return real(self, model)

    monkeypatch.setattr(Sharing, "_compact", counting)
    return compacted
