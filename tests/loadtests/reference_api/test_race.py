"""Fifty clients race over real HTTP (uvicorn on loopback) for the last ten units of a sku."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loadtests.reference_api.app import Receipt, create_app
from loadtests.reference_api.store import SQLiteStore
from tests.loadtests.loopback import serving

TOKEN = "race-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, SQLiteStore]]:
    store = SQLiteStore(tmp_path / "events.db")
    app = create_app(token=TOKEN, store=store, initial=[Receipt(location="S01", sku="TEE", qty=10)])
    with serving(app) as base:
        yield base, store


def test_exactly_the_available_units_are_sold(server: tuple[str, SQLiteStore]) -> None:
    base, store = server
    answers: list[int] = []
    start = threading.Barrier(50)

    def customer(i: int) -> None:
        with httpx.Client(base_url=base, headers=AUTH, timeout=30) as http:
            http.post(
                "/carts", json={"customer": i, "cart": i, "channel": "web"}
            ).raise_for_status()
            start.wait(timeout=30)
            item = {"sku": "TEE", "qty": 1, "unit_price": 9.9, "reserve_at": "S01"}
            answers.append(http.post(f"/carts/{i}/items", json=item).status_code)

    threads = [threading.Thread(target=customer, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(answers) == [200] * 10 + [409] * 40
    stock = httpx.get(f"{base}/stock/S01/TEE", params={"channel": "web"}).json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (10, 10, 0)
    positions = [e.position for e in store.read_all(limit=10_000)]
    assert positions == list(range(1, len(positions) + 1))
    assert len(positions) == 2 + 50 + 10 * 2  # marker, stock, 50 carts, 10 x (added, reserved)
