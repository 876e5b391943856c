"""SIGKILL in the middle of a stream of writes: after a restart, every acknowledged write is
there once, and the store folds cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from loadtests.reference_api.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "crash-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    args = [
        sys.executable, "-m", "simulation.cli", "serve", "--port", str(port), "--db", str(db),
        "--scenario", str(ROOT / "scenarios" / "validation" / "mmc.toml"),
    ]  # fmt: skip
    env = {**os.environ, "OMNICANAL_API_TOKEN": TOKEN}
    process = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("the server did not start within 30 s")


def test_acknowledged_writes_survive_a_kill(tmp_path: Path) -> None:
    db, port = tmp_path / "events.db", _free_port()
    server = _serve(db, port)
    acknowledged: list[int] = []

    def writer(first: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH, timeout=5) as http:
            for cart in range(first, first + 2000, 2):
                try:
                    answer = http.post(
                        "/carts", json={"customer": cart, "cart": cart, "channel": "web"}
                    )
                except httpx.TransportError:
                    return
                if answer.status_code == 200:
                    acknowledged.append(cart)

    writers = [threading.Thread(target=writer, args=(first,)) for first in (1, 2)]
    try:
        for w in writers:
            w.start()
        time.sleep(0.4)
        os.kill(server.pid, signal.SIGKILL)  # while both writers have requests in flight
        for w in writers:
            w.join(timeout=30)
    finally:
        server.kill()
        server.wait(timeout=10)
    assert 0 < len(acknowledged) < 2000

    again = _serve(db, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH, timeout=5) as http:
            for cart in acknowledged:  # each one exists: opening it again is a duplicate
                answer = http.post(
                    "/carts", json={"customer": cart, "cart": cart, "channel": "web"}
                )
                assert answer.json().get("rule") == "aggregate.duplicate", cart
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=10)
    with SQLiteStore(db) as store:
        stored = store.read_all(limit=100_000)
    positions = [e.position for e in stored]
    assert positions == list(range(1, len(positions) + 1))
    opened = [e.data["cart"] for e in stored if e.type == "CartOpened"]
    assert len(opened) == len(set(opened))  # nothing written twice
    assert set(acknowledged) <= set(opened)
