"""The server's clock, for writes that come without ``X-Sim-Time``."""

from __future__ import annotations

import time
from collections.abc import Callable

from simulation.types import SimTime


class Clock:
    """Minutes that never go back: wall minutes since the server started, counted from the
    latest time the store holds (so a restart resumes where the log stopped), and never
    before a time it has seen since (another worker's write, a client's ``X-Sim-Time``)."""

    def __init__(self, wall: Callable[[], float] = time.monotonic) -> None:
        self._wall = wall
        self._started = wall()
        self._base = 0.0
        self._floor = 0.0

    def saw(self, t: float) -> None:
        """A time the store holds: the clock is never before it again."""
        self._floor = max(self._floor, t)

    def resume(self) -> None:
        """Count from the latest time seen, as a server does once it has folded the store."""
        self._base, self._started = self._floor, self._wall()

    def now(self) -> SimTime:
        return SimTime(max(self._floor, self._base + (self._wall() - self._started) / 60))

    def at(self, sent: float | None) -> SimTime:
        """The time of a write: the client's ``X-Sim-Time`` if it sent one, else now."""
        return SimTime(sent) if sent is not None else self.now()
