"""``serve --workers 4`` and 50 racing clients, a new connection per request so that the
workers share the requests: every answer is checked, not only the store.

Three phases, each started by all clients at once: open a cart and move it (no worker may
answer 404 for a cart whose opening was acknowledged); race for the last 10 units, each
request sent three times at once under one Idempotency-Key (one answer per key); receive a
unit and read the stock line (no read may miss a write acknowledged before it began).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from loadtests.reference_api.store import SQLiteStore
from tests.loadtests.reference_api.serving import serving

pytestmark = pytest.mark.slow
TOKEN = "workers-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLIENTS, COPIES, READS, UNITS = 50, 3, 3, 10
ITEM = {"sku": "ITEM", "qty": 1, "unit_price": 10.0, "reserve_at": "S01"}
RECEIPT = {"location": "S01", "sku": "ITEM", "qty": 1}


class Seen:
    """What the clients were told, and what had been acknowledged when."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received = 0  # receipts acknowledged so far
        self.position = 0  # the highest store position acknowledged so far
        self.answers: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        self.refused: list[str] = []  # answers a single server would not have given
        self.stale: list[str] = []

    def expect(self, answer: httpx.Response, what: str) -> None:
        if answer.status_code != 200:
            self.refused.append(f"{what}: {answer.status_code} {answer.text}")
        else:
            self._acknowledged(answer)

    def keyed(self, key: str, answer: httpx.Response) -> None:
        position = answer.headers["x-event-position"]
        with self.lock:
            self.answers[key].append((answer.status_code, answer.text, position))

    def received_one(self, answer: httpx.Response) -> None:
        self.expect(answer, "receipt")
        with self.lock:
            self.received += 1

    def _acknowledged(self, answer: httpx.Response) -> None:
        with self.lock:
            self.position = max(self.position, int(answer.headers["x-event-position"]))

    def now(self) -> tuple[int, int]:
        with self.lock:
            return self.received, self.position


def _http(base: str) -> httpx.Client:
    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=base, headers=AUTH, timeout=60, limits=no_keepalive)


def _race_for_a_unit(base: str, i: int, seen: Seen) -> None:
    def copy() -> None:
        with _http(base) as http:
            answer = http.post(f"/carts/{i}/items", json=ITEM, headers={"Idempotency-Key": f"{i}"})
        seen.keyed(f"{i}", answer)

    copies = [threading.Thread(target=copy) for _ in range(COPIES)]
    for c in copies:
        c.start()
    for c in copies:
        c.join(timeout=120)


def _receive_and_read(http: httpx.Client, seen: Seen) -> None:
    seen.received_one(http.post("/admin/stock", json=RECEIPT))
    last = 0
    for _ in range(READS):
        received, position = seen.now()
        read = http.get("/stock/S01/ITEM")
        on_hand, at = read.json()["on_hand"], int(read.headers["x-event-position"])
        if on_hand < UNITS + received or at < position or on_hand < last:
            seen.stale.append(f"on hand {on_hand} at {at}: {received} received by {position}")
        last = on_hand


def _client(base: str, i: int, seen: Seen, phase: threading.Barrier) -> None:
    with _http(base) as http:
        phase.wait(timeout=120)
        seen.expect(http.post("/carts", json={"customer": i, "cart": i, "channel": "app"}), "open")
        seen.expect(http.post(f"/carts/{i}/move", json={"channel": "web"}), "move")  # no key
        phase.wait(timeout=120)
        _race_for_a_unit(base, i, seen)
        phase.wait(timeout=120)
        _receive_and_read(http, seen)


def test_four_workers_answer_fifty_racing_clients_as_one_server(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    seen = Seen()
    with serving(f"sqlite:///{db}", env={"OMNICANAL_API_TOKEN": TOKEN}, workers=4) as base:
        stock = {"stock": [{"location": "S01", "sku": "ITEM", "qty": UNITS}]}
        httpx.post(f"{base}/admin/reset", json=stock, headers=AUTH, timeout=60).raise_for_status()
        phase = threading.Barrier(CLIENTS)
        clients = [
            threading.Thread(target=_client, args=(base, i, seen, phase)) for i in range(CLIENTS)
        ]
        for c in clients:
            c.start()
        for c in clients:
            c.join(timeout=180)
        with _http(base) as http:  # every worker, once every write was acknowledged
            finals = {tuple(http.get("/stock/S01/ITEM").json().values()) for _ in range(40)}
    assert not seen.refused, seen.refused[:3]  # no false 404
    assert not seen.stale, seen.stale[:3]
    assert len(seen.answers) == CLIENTS
    for key, answers in seen.answers.items():
        assert len(answers) == COPIES
        assert len(set(answers)) == 1, (key, answers)  # one answer per key, every time
    first = [answers[0] for answers in seen.answers.values()]
    assert sorted(status for status, _, _ in first) == [200] * UNITS + [409] * (CLIENTS - UNITS)
    assert {json.loads(text)["rule"] for status, text, _ in first if status == 409} == {
        "stock.insufficient"
    }
    assert finals == {("S01", "ITEM", UNITS + CLIENTS, UNITS, CLIENTS, "web")}
    with SQLiteStore(db) as store:
        stored = list(store.follow(store.epoch().position))
    kinds = [e.type for e in stored]
    assert kinds.count("StockReserved") == UNITS
    assert kinds.count("CartOpened") == kinds.count("CartMoved") == CLIENTS
