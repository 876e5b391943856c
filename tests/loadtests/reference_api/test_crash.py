"""SIGKILL ``omnicanal serve``, ten times: in the middle of a stream of writes, every
acknowledged write is there once after a restart; during the initial stock load, the store is
left empty or complete, never partial, and the restart serves all 1,800 baseline lines."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from loadtests.reference_api.serve import app_for, scenario_listings
from loadtests.reference_api.store import SQLiteStore
from tests.loadtests.loopback import free_port
from tests.loadtests.reference_api.serving import SCENARIOS, healthy, serving, start, stop

pytestmark = pytest.mark.slow
TOKEN = "crash-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ENV = {"OMNICANAL_API_TOKEN": TOKEN}
KILLS = 10


def _write_until_killed(port: int, carts: range, acknowledged: list[int]) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH, timeout=5) as http:
        for cart in carts:
            try:
                answer = http.post(
                    "/carts", json={"customer": cart, "cart": cart, "channel": "web"}
                )
            except httpx.TransportError:
                return
            if answer.status_code == 200:
                acknowledged.append(cart)


def test_acknowledged_writes_survive_ten_kills(tmp_path: Path) -> None:
    db, port = tmp_path / "events.db", free_port()
    acknowledged: list[int] = []
    for kill in range(KILLS):
        server = start(db, port, env=ENV)
        assert healthy(server, port), stop(server)
        first = kill * 10_000
        writers = [
            threading.Thread(
                target=_write_until_killed,
                args=(port, range(first + w, first + 10_000, 2), acknowledged),
            )
            for w in (0, 1)
        ]
        for w in writers:
            w.start()
        time.sleep(0.2 + 0.04 * kill)
        os.kill(server.pid, signal.SIGKILL)  # while both writers have requests in flight
        for w in writers:
            w.join(timeout=30)
        stop(server)
    assert len(acknowledged) > KILLS  # every round got some writes in

    with serving(db, env=ENV) as base, httpx.Client(base_url=base, headers=AUTH) as http:
        for cart in acknowledged:  # each one exists: opening it again is a duplicate
            answer = http.post("/carts", json={"customer": cart, "cart": cart, "channel": "web"})
            assert answer.json().get("rule") == "aggregate.duplicate", cart
    with SQLiteStore(db) as store:
        stored = list(store.follow())
    assert [e.position for e in stored] == list(range(1, len(stored) + 1))
    opened = [e.data["cart"] for e in stored if e.type == "CartOpened"]
    assert len(opened) == len(set(opened))  # nothing written twice
    assert set(acknowledged) <= set(opened)
    assert [e.type for e in stored[:2]] == ["EpochStarted", "StockReceived"]  # loaded once


def _when_created(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{path} was not created within {timeout} s")
        time.sleep(0.002)


def test_a_kill_during_the_initial_load_leaves_no_partial_stock(tmp_path: Path) -> None:
    baseline = SCENARIOS / "baseline.toml"
    listings = scenario_listings(baseline)
    expected = {(r.location, r.sku): r.qty for r in listings.initial}
    assert len(expected) == 1800
    held: list[int] = []
    for kill in range(KILLS):
        db, port = tmp_path / f"events-{kill}.db", free_port()
        server = start(db, port, scenario=baseline, env=ENV)
        _when_created(db)  # the store is opened right before the stock is loaded
        time.sleep(0.015 * kill)  # 0 to 135 ms: the load takes about 90 ms
        os.kill(server.pid, signal.SIGKILL)
        stop(server)
        with SQLiteStore(db) as store:
            held.append(store.last_position())
        assert held[-1] in {0, 1 + 1800}, held  # empty, or the marker and every line

        # The restart, in process: what `serve` builds before it listens (app_for).
        with TestClient(app_for(TOKEN, SQLiteStore(db), listings)) as restarted:
            state = restarted.get("/admin/state", headers=AUTH).json()
        stock = {(r["location"], r["sku"]): r["on_hand"] for r in state["stock"]}
        assert stock == expected
