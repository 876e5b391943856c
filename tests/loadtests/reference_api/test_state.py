"""The state holder's promises on durable stores: a reset is a new epoch and keeps the history,
a restart folds only the current epoch, the initial stock is all there or the store is refused,
the clock resumes where the store stopped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from loadtests.reference_api.app import Receipt, create_app
from loadtests.reference_api.clock import Clock
from loadtests.reference_api.state import STREAM, ServerState
from loadtests.reference_api.store import (
    EPOCH,
    Epoch,
    EventStore,
    LegacyStore,
    NewEvent,
    SQLiteStore,
)
from simulation.cli import app as cli

TOKEN = "state-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TEES = [Receipt(location="S01", sku="TEE", qty=3)]
JEANS = {"stock": [{"location": "S02", "sku": "JEANS", "qty": 4}]}


def api(store: EventStore, initial: list[Receipt] = TEES, clock: Clock | None = None) -> TestClient:
    return TestClient(create_app(token=TOKEN, store=store, initial=initial, clock=clock))


def test_a_reset_on_a_durable_store_starts_an_epoch_and_keeps_the_history(
    durable: Callable[[], EventStore],
) -> None:
    first = api(durable())
    first.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"}, headers=AUTH)
    item = {"sku": "TEE", "qty": 2, "unit_price": 10.0, "reserve_at": "S01"}
    assert first.post("/carts/1/items", json=item, headers=AUTH).status_code == 200
    assert first.post("/admin/reset", json=JEANS).status_code == 401
    reset = first.post("/admin/reset", json=JEANS, headers=AUTH)
    assert reset.status_code == 200
    assert reset.json() == {"epoch": 2, "position": 6}  # marker, stock, cart, added, reserved
    state = first.get("/admin/state", headers=AUTH).json()
    assert state["stock"] == [{"location": "S02", "sku": "JEANS", "on_hand": 4, "reserved": 0}]
    assert first.post("/carts/1/move", json={"channel": "web"}, headers=AUTH).status_code == 404
    with durable() as store:
        kept = [e.type for e in store.read_all()]
    assert kept == [
        EPOCH, "StockReceived", "CartOpened", "CartItemAdded", "StockReserved",
        EPOCH, "StockReceived",
    ]  # fmt: skip

    restarted = api(durable(), initial=[Receipt(location="S09", sku="HAT", qty=1)])
    assert restarted.get("/admin/state", headers=AUTH).json() == state  # the current epoch only
    assert restarted.get("/health").json() == {"status": "ok", "events": 7, "epoch": 2}
    assert restarted.post("/admin/reset", json=JEANS, headers=AUTH).json()["epoch"] == 3


def test_a_server_that_is_behind_folds_the_other_servers_reset(tmp_path: Path) -> None:
    a = api(SQLiteStore(tmp_path / "events.db"))
    b = api(SQLiteStore(tmp_path / "events.db"))
    b.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"}, headers=AUTH)
    assert a.post("/admin/reset", json=JEANS, headers=AUTH).status_code == 200
    assert b.get("/stock/S01/TEE").json()["on_hand"] == 0  # b caught up: a new epoch
    assert b.get("/stock/S02/JEANS").json()["on_hand"] == 4
    again = b.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"}, headers=AUTH)
    assert again.status_code == 200  # the old epoch's cart 1 is gone from the state


def test_the_initial_stock_arrives_in_one_append_with_the_epoch_marker(tmp_path: Path) -> None:
    lines = [Receipt(location=f"S{i:02}", sku="TEE", qty=i + 1) for i in range(5)]
    api(SQLiteStore(tmp_path / "events.db"), initial=lines)
    with SQLiteStore(tmp_path / "events.db") as store:
        stored = store.read_all()
        assert store.epoch() == Epoch(number=1, position=1)
    assert [e.type for e in stored] == [EPOCH] + ["StockReceived"] * 5
    assert [e.data["qty"] for e in stored[1:]] == [1, 2, 3, 4, 5]
    assert {e.data["reason"] for e in stored[1:]} == {"initial"}


def test_servers_starting_together_on_an_empty_store_make_one_epoch(tmp_path: Path) -> None:
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def server() -> None:
        state = ServerState(SQLiteStore(tmp_path / "events.db"), token=TOKEN)
        start.wait(timeout=30)
        try:
            state.open(TEES)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=server) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    with SQLiteStore(tmp_path / "events.db") as store:
        assert [e.type for e in store.read_all()] == [EPOCH, "StockReceived"]


def _legacy(path: Path, lines: int) -> None:
    """A store as an older version left it after a crash during the initial load."""
    with SQLiteStore(path) as store:
        for i in range(lines):
            data = {"type": "StockReceived", "t": 0.0, "location": f"S{i:02}", "sku": "TEE",
                    "qty": 1, "reason": "initial"}  # fmt: skip
            store.append(STREAM, [NewEvent(type="StockReceived", data=data)], expected_version=i)


def test_a_store_half_written_by_an_older_version_is_refused(tmp_path: Path) -> None:
    _legacy(tmp_path / "events.db", 3)
    lines = [Receipt(location=f"S{i:02}", sku="TEE", qty=1) for i in range(10)]
    with pytest.raises(LegacyStore) as refused:
        create_app(token=TOKEN, store=SQLiteStore(tmp_path / "events.db"), initial=lines)
    message = str(refused.value)
    assert "no epoch marker" in message
    assert "3 of the scenario's 10 initial stock lines" in message
    assert "fresh --db" in message
    with SQLiteStore(tmp_path / "events.db") as store:
        assert store.last_position() == 3  # left as it was


def test_serve_refuses_an_older_store_in_one_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _legacy(tmp_path / "events.db", 2)
    monkeypatch.setenv("OMNICANAL_API_TOKEN", TOKEN)
    scenario = Path(__file__).resolve().parents[3] / "scenarios" / "validation" / "mmc.toml"
    result = CliRunner().invoke(
        cli, ["serve", "--db", f"sqlite:///{tmp_path / 'events.db'}", "--scenario", str(scenario)]
    )
    assert result.exit_code == 2, result.output
    assert "no epoch marker" in result.output
    assert "Traceback" not in result.output


class Wall:
    """A wall clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _opened_at(client: TestClient, cart: int, **headers: str) -> float:
    body = {"customer": cart, "cart": cart, "channel": "web"}
    answer = client.post("/carts", json=body, headers={**AUTH, **headers})
    assert answer.status_code == 200, answer.text
    return float(answer.json()["events"][0]["t"])


def test_the_clock_resumes_after_a_restart_where_the_store_stopped(
    durable: Callable[[], EventStore],
) -> None:
    wall = Wall()
    first = api(durable(), clock=Clock(wall))
    wall.now = 600.0  # ten minutes after the server started
    assert _opened_at(first, 1) == pytest.approx(10.0)
    late = _opened_at(first, 2, **{"X-Sim-Time": "90.0"})  # a client's time counts too
    assert late == 90.0
    restarted_wall = Wall()  # a new process: its monotonic clock starts anew
    again = api(durable(), clock=Clock(restarted_wall))
    assert _opened_at(again, 3) == pytest.approx(90.0)  # never before what the store holds
    restarted_wall.now = 60.0
    assert _opened_at(again, 4) == pytest.approx(91.0)
    again.post("/admin/reset", json=JEANS, headers=AUTH)
    after_reset = api(durable(), clock=Clock(Wall()))  # the reset's marker keeps the time
    assert _opened_at(after_reset, 5) == pytest.approx(91.0)
