"""``omnicanal serve`` as a child process on 127.0.0.1, for tests that kill or restart it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.loadtests.loopback import free_port

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = ROOT / "scenarios"


def start(
    db: str | Path,
    port: int,
    *,
    scenario: Path = SCENARIOS / "validation" / "mmc.toml",
    env: Mapping[str, str],
    workers: int = 1,
) -> subprocess.Popen[bytes]:
    """``omnicanal serve`` on ``port``, not waited for."""
    args = [
        sys.executable, "-m", "simulation.cli", "serve", "--port", str(port), "--db", str(db),
        "--scenario", str(scenario), "--workers", str(workers),
    ]  # fmt: skip
    return subprocess.Popen(
        args, env={**os.environ, **env}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def healthy(process: subprocess.Popen[bytes], port: int, timeout: float = 60.0) -> bool:
    """Wait until the server answers ``/health``; False if it exited first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.05)
    return False


def stop(process: subprocess.Popen[bytes]) -> str:
    """Stop the server (SIGTERM, then SIGKILL after 15 s); what it wrote on stderr."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stderr is None:
        return ""
    with process.stderr:
        return process.stderr.read().decode(errors="replace")


@contextmanager
def serving(
    db: str | Path,
    *,
    env: Mapping[str, str],
    scenario: Path = SCENARIOS / "validation" / "mmc.toml",
    workers: int = 1,
) -> Iterator[str]:
    """A started ``omnicanal serve``: yields its base URL; stopped at the end."""
    port = free_port()
    process = start(db, port, scenario=scenario, env=env, workers=workers)
    try:
        if not healthy(process, port):
            pytest.fail(f"omnicanal serve did not start within 60 s: {stop(process)}")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
