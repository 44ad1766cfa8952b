"""Shared test doubles: a fake clock whose sleep advances time instantly."""

from __future__ import annotations


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
