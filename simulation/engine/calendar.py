"""The event calendar: a SimPy environment whose far-future events wait outside its heap.

SimPy keeps every scheduled event in one binary heap, so each step costs O(log n) comparisons
of entries scattered in memory, n counting every event scheduled however far ahead. A long run
holds many: a customer's next visit days ahead, a parcel's delivery, a return weeks later. On
``benchmarks/scale.py``'s 1M-customer plan, 49,000 of the 66,000 pending events of day 6 were a
day or more ahead, and the time spent popping the heap per logged event grew through the run.

:class:`Calendar` keeps the heap for the near future, as a calendar queue does. Time is cut
into windows of ``window`` minutes; an event due in a window after the next one waits in that
window's list, and the whole list enters the heap one window ahead of time, when an opener
event at the start of each window moves it (there is an opener only while events wait). Every
event keeps the sequence number SimPy gives it when it is scheduled, so events come out in
exactly the order a plain :class:`simpy.Environment` gives them: by time, priority, then order
of scheduling. Scheduling a near event costs one comparison more than in SimPy; ``peek`` may
give the time of an opener, which does nothing but move a window's list.
"""

from __future__ import annotations

import math
from heapq import heappush

import simpy
from simpy.events import NORMAL, URGENT, EventPriority

Entry = tuple[float, EventPriority, int, simpy.Event]
"""An entry of SimPy's heap: (time, priority, sequence number, event)."""


class Calendar(simpy.Environment):
    """A :class:`simpy.Environment` that holds events due after the next window out of its heap
    until the window before theirs begins (see the module docstring)."""

    def __init__(self, initial_time: float = 0.0, *, window: float = 60.0) -> None:
        if not window > 0 or math.isinf(window):
            raise ValueError(f"window must be a positive number of minutes, got {window}")
        super().__init__(initial_time)
        self.window = window
        self._open = int(initial_time // window) + 1
        """The last window whose events go straight into the heap (always after the current)."""
        self._later: dict[int, list[Entry]] = {}
        self._opener: simpy.Event | None = None

    def schedule(
        self, event: simpy.Event, priority: EventPriority = NORMAL, delay: float = 0
    ) -> None:
        """Schedule ``event`` ``delay`` minutes from now, as SimPy does."""
        at = self._now + delay
        entry = (at, priority, next(self._eid), event)
        if delay < self.window:  # due in this window or the next: both are open
            heappush(self._queue, entry)
            return
        key = int(at // self.window)  # a window's number, not its start time: no rounding
        if self._opener is None:  # no opener since nothing waited: the clock may have moved on
            self._open = max(self._open, int(self._now // self.window) + 1)
        if key <= self._open:
            heappush(self._queue, entry)
            return
        self._later.setdefault(key, []).append(entry)
        if self._opener is None:
            self._arm()

    @property
    def waiting(self) -> int:
        """Events scheduled but not yet in the heap."""
        return sum(len(entries) for entries in self._later.values())

    def _arm(self) -> None:
        """Schedule the opener at the start of the last open window."""
        opener = self._opener = simpy.Event(self)
        opener.callbacks.append(self._open_next)
        opener._ok, opener._value = True, None
        heappush(
            self._queue,
            (self._open * self.window, URGENT, next(self._eid), opener),
        )

    def _open_next(self, _: simpy.Event) -> None:
        """At the start of window ``_open``: open the one after it, and come again while events
        wait."""
        self._open += 1
        for entry in self._later.pop(self._open, ()):
            heappush(self._queue, entry)
        self._opener = None
        if self._later:
            self._arm()
