"""The reconciliation: the fold of what the target answered is the answer key."""

from __future__ import annotations

from typing import Any

from loadtests.adapters.base import TargetState
from loadtests.reconcile import reconcile
from loadtests.replay import Outcome

INITIAL = {("S01", "A"): 2}


def _o(kind: str, result: str, key: float, **data: Any) -> Outcome:
    return Outcome(1, kind, key, int(key), data, result, 200, done=key, order_key=key)


CART = {"customer": 1, "cart": 1, "channel": "web"}
ADD = {"cart": 1, "sku": "A", "unit_price": 5.0, "reserve_at": "S01", "ttl": 60.0}


def test_a_truthful_target_has_no_discrepancy() -> None:
    outcomes = [
        _o("open_cart", "ok", 1, **CART),
        _o("add_to_cart", "ok", 2, **ADD, qty=2),
        _o("add_to_cart", "refused", 3, **ADD, qty=1),  # nothing left: rightly refused
    ]
    found, backend = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 2)}, {}))
    assert found == []
    assert backend.stock_level("S01", "A").reserved_total == 2  # type: ignore[arg-type]


def test_an_oversell_is_found_three_ways() -> None:
    outcomes = [
        _o("open_cart", "ok", 1, **CART),
        _o("add_to_cart", "ok", 2, **ADD, qty=2),
        _o("add_to_cart", "ok", 3, **ADD, qty=1),  # the target took a third unit of two
    ]
    found, _ = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 3)}, {}))
    kinds = [d.kind for d in found]
    assert kinds == ["accepted a refused write", "stock", "invariant"]
    assert (found[0].expected, found[0].found) == ("refusal (stock.insufficient)", "accepted")
    assert (
        found[1].line()
        == "stock: S01/A: expected on hand 2, reserved 2, found on hand 2, reserved 3"
    )


def test_a_dropped_reservation_and_a_wrong_refusal_are_found() -> None:
    outcomes = [
        _o("open_cart", "ok", 1, **CART),
        _o("add_to_cart", "ok", 2, **ADD, qty=1),
        _o("add_to_cart", "refused", 3, **ADD, qty=1),  # one unit was still free
    ]
    found, _ = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 0)}, {}))
    assert [d.kind for d in found] == ["refused an allowed write", "stock"]
    assert found[1].expected == "on hand 2, reserved 1"


def test_the_targets_order_wins_over_the_order_answers_came_back() -> None:
    """Two customers race for the last unit: the answers come back in the other order than
    the server decided; folding by the server's position finds nothing wrong."""
    outcomes = [
        _o("open_cart", "ok", 1, **CART),
        _o("open_cart", "ok", 2, customer=2, cart=2, channel="web"),
        _o("add_to_cart", "ok", 4, **ADD, qty=2),
        _o("add_to_cart", "refused", 3.5, **(ADD | {"cart": 2}), qty=1),
    ]
    outcomes[2].done, outcomes[3].done = 5.0, 4.0  # the refusal was answered first
    outcomes[3].order_key = 4.5  # but decided after the accepted write (position 4)
    found, _ = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 2)}, {}))
    assert found == []


def test_an_unanswered_write_and_broken_invariants_are_reported() -> None:
    outcomes = [_o("open_cart", "error", 1, **CART)]
    outcomes[0].detail = "ConnectionResetError"
    orders = {9: {"paid": 0.0, "refunded": 5.0, "cancelled": False, "legs": {"S01": "picked_up"}}}
    found, _ = reconcile({}, outcomes, TargetState({("S01", "A"): (-1, 0)}, orders))
    lines = [d.line() for d in found]
    assert lines[0] == (
        "unanswered write: customer 1 open_cart (command 1, t=1): "
        "expected an answer, found ConnectionResetError"
    )
    assert any("no oversell" in line for line in lines)
    assert any("refunded <= paid" in line for line in lines)
    assert any("no pickup without payment" in line for line in lines)
    assert any(line.startswith("order: order 9") for line in lines)  # the fold knows no order 9
