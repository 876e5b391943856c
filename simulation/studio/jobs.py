"""Runs and comparisons started from the page, each in a child process of its own.

The child (:mod:`simulation.studio.runner`) calls the experiment API exactly as the command
line does and writes its results folder the same way; it reports each finished replication
on its standard output, one JSON line at a time. It leads a process group of its own (a new
session), so a cancel stops it and every worker process it started with one signal, and a
results folder it was writing is removed: a cancelled run leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

State = Literal["waiting", "running", "done", "failed", "cancelled"]
GRACE_SECONDS = 5.0
"""How long a cancelled child may take to stop before it is killed."""

_ACTIVE: set[Job] = set()


@dataclass(eq=False)
class Job:
    """One run (or comparison) of the page: its spec, how far it got, and how it ended."""

    spec: dict[str, Any]
    total: int
    out: Path
    done: int = 0
    state: State = "waiting"
    folder: Path | None = None
    error: str = ""
    field: str = ""
    pid: int | None = None
    _process: asyncio.subprocess.Process | None = dataclasses.field(default=None, repr=False)

    def status(self, units: str, *, done: str = "") -> str:
        """What the page says of the job: how far it got, counted in ``units``, or how it
        ended (``done`` goes before where it was written)."""
        return {
            "running": f"running: {self.done} of {self.total} {units}",
            "done": f"done: {done}written to {self.folder}",
            "cancelled": "cancelled: the worker processes were stopped, nothing was written",
            "failed": f"failed: {self.error}",
            "waiting": "starting",
        }[self.state]

    async def run(self, on_update: Callable[[Job], None] = lambda _: None) -> None:
        """Start the child and follow it to its end, calling ``on_update`` on every change."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulation.studio.runner",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        self.pid, self.state = self._process.pid, "running"
        _ACTIVE.add(self)
        on_update(self)
        try:
            await self._follow(self._process, on_update)
        finally:
            _ACTIVE.discard(self)
            self._reap()
        on_update(self)

    async def _follow(
        self, process: asyncio.subprocess.Process, on_update: Callable[[Job], None]
    ) -> None:
        stdin, stdout = process.stdin, process.stdout
        if stdin is None or stdout is None:  # pragma: no cover - both are pipes, above
            raise RuntimeError("the studio's child has no pipes")
        stdin.write(json.dumps(self.spec).encode() + b"\n")
        await stdin.drain()
        stdin.close()
        async for raw in stdout:
            try:
                message = json.loads(raw)
            except ValueError:  # a library printing to stdout: not a report
                continue
            if isinstance(message, dict):
                self._read(message)
                on_update(self)
        stderr = await process.stderr.read() if process.stderr is not None else b""
        code = await process.wait()
        if self.state == "running" and code != 0:
            self.state = "failed"
            self.error = self.error or stderr.decode(errors="replace").strip()[-2000:]
        elif self.state == "running":
            self.state = "done" if self.folder is not None else "failed"

    def _read(self, message: dict[str, Any]) -> None:
        if "done" in message:
            self.done = int(message["done"])
        if "folder" in message:
            self.folder = Path(message["folder"])
        if "error" in message and self.state == "running":
            self.state, self.error = "failed", str(message["error"])
            self.field = str(message.get("field", ""))

    async def cancel(self) -> None:
        """Stop the child and its workers: SIGTERM to the group, SIGKILL after the grace."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        self.state = "cancelled"
        _signal_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), GRACE_SECONDS)
        except TimeoutError:
            _signal_group(process.pid, signal.SIGKILL)
            await process.wait()
        self._reap()

    def _reap(self) -> None:
        """Kill whatever of the group is left and remove a half-written results folder."""
        if self.pid is None:
            return
        _signal_group(self.pid, signal.SIGKILL)
        for partial in self.out.glob(f".*.{self.pid}.tmp"):
            shutil.rmtree(partial, ignore_errors=True)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def stop_all() -> None:
    """Cancel every job still running (the studio is stopping)."""
    await asyncio.gather(*(job.cancel() for job in list(_ACTIVE)))
