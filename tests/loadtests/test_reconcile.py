"""The reconciliation: root causes apart from their consequences, the fold of what the target
accepted as the answer key, ordering notes, invariants alone, findings grouped by cause."""

from __future__ import annotations

from typing import Any

import pytest

from loadtests.adapters.base import TargetState
from loadtests.findings import (
    CONSEQUENCE,
    FIRST_DIVERGENCE,
    INVARIANT,
    NOT_JUDGED,
    ORDERING,
    STOCK,
    Discrepancy,
    group,
    reason,
)
from loadtests.reconcile import INVARIANTS, compare_stock, expected_backend, reconcile
from loadtests.replay import Outcome

INITIAL = {("S01", "A"): 2}
CART = {"customer": 1, "cart": 1, "channel": "web"}
ADD = {"cart": 1, "sku": "A", "unit_price": 5.0, "reserve_at": "S01", "ttl": 60.0}
SHORT = "stock.insufficient"


def _o(
    kind: str, result: str, key: float, *, expected: str = "ok", who: int = 1, **data: Any
) -> Outcome:
    """Customer ``who``'s write answered at ``key`` seconds (its position too), command
    ``int(key)``."""
    detail = SHORT if result != "ok" else ""
    return Outcome(
        who, kind, key, int(key), data, result, 200, sent=key - 0.1, done=key, order_key=key,
        expected=expected, detail=detail,
    )  # fmt: skip


def _unpositioned(*outcomes: Outcome) -> list[Outcome]:
    for o in outcomes:
        o.order_key = None
    return list(outcomes)


def _cart(customer: int, key: float) -> Outcome:
    return _o(
        "open_cart", "ok", key, who=customer, **(CART | {"customer": customer, "cart": customer})
    )


def test_a_truthful_target_has_no_discrepancy() -> None:
    outcomes = [
        _o("open_cart", "ok", 1, **CART),
        _o("add_to_cart", "ok", 2, **ADD, qty=2),
        _o("add_to_cart", "refused", 3, expected=SHORT, **ADD, qty=1),  # rightly refused
    ]
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 2)}, {}))
    assert found.discrepancies == []
    assert found.notes == []
    assert found.backend is not None
    assert found.backend.stock_level("S01", "A").reserved_total == 2  # type: ignore[arg-type]


def test_an_oversell_is_a_first_divergence_and_shows_in_the_stock() -> None:
    outcomes = [
        _o("open_cart", "ok", 1, **CART),
        _o("add_to_cart", "ok", 2, **ADD, qty=2),
        _o("add_to_cart", "ok", 3, expected=SHORT, **ADD, qty=1),  # a third unit of two
    ]
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 3)}, {}))
    assert [d.kind for d in found.discrepancies] == [FIRST_DIVERGENCE, STOCK, INVARIANT]
    first = found.discrepancies[0]
    assert first.cause == "add_to_cart accepted where the simulation refused: stock.insufficient"
    assert (first.expected, first.found) == ("refused: stock.insufficient", "accepted")
    assert found.labels == {3: FIRST_DIVERGENCE}
    assert found.discrepancies[1].line() == (
        "stock: S01/A: expected on hand 2, reserved 2, found on hand 2, reserved 3"
    )


def test_later_differences_of_a_diverged_journey_and_elsewhere_are_consequences() -> None:
    """The target refuses customer 1's reservation (the root cause); so customer 2 gets the
    unit the simulation refused them, and customer 1's checkout fails: both consequences."""
    legs = [{"location": "S01", "mode": "home_delivery", "lines": [{"sku": "A", "qty": 2}]}]
    outcomes = [
        _cart(1, 1),
        _cart(2, 2),
        _o("add_to_cart", "refused", 3, **ADD, qty=2),
        _o("add_to_cart", "ok", 4, expected=SHORT, who=2, **(ADD | {"cart": 2}), qty=1),
        _o("checkout", "refused", 5, order=9, cart=1, legs=legs),
    ]
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 1)}, {}))
    assert [d.kind for d in found.discrepancies] == [FIRST_DIVERGENCE]
    assert found.discrepancies[0].cause == (
        "add_to_cart refused: stock.insufficient where the simulation accepted"
    )
    assert [n.kind for n in found.notes] == [CONSEQUENCE, CONSEQUENCE]
    assert found.labels == {3: FIRST_DIVERGENCE, 4: CONSEQUENCE, 5: CONSEQUENCE}
    assert "after its journey diverged" in found.notes[1].cause


def _race(overlap: bool) -> list[Outcome]:
    """Two customers race for the last two units: the simulation gave them to customer 1,
    the target (which says nothing of its order) to customer 2."""
    one = _o("add_to_cart", "refused", 3, **ADD, qty=2)
    two = _o("add_to_cart", "ok", 4, expected=SHORT, who=2, **(ADD | {"cart": 2}), qty=1)
    if overlap:
        one.sent, one.done, two.sent, two.done = 3.0, 3.5, 2.9, 3.2  # in flight together
    return _unpositioned(_cart(1, 1), _cart(2, 2), one, two)


def test_a_difference_that_reordering_explains_is_an_ordering_note() -> None:
    found = reconcile(INITIAL, _race(overlap=True), TargetState({("S01", "A"): (2, 1)}, {}))
    assert found.discrepancies == []
    assert [n.kind for n in found.notes] == [ORDERING, ORDERING]


def test_the_same_difference_not_in_flight_together_is_a_root_cause() -> None:
    found = reconcile(INITIAL, _race(overlap=False), TargetState({("S01", "A"): (2, 1)}, {}))
    assert [d.kind for d in found.discrepancies] == [FIRST_DIVERGENCE]
    assert [n.kind for n in found.notes] == [CONSEQUENCE]


def test_with_positions_the_fold_follows_the_targets_order() -> None:
    outcomes = [
        _o("open_cart", "ok", 1, **CART),
        _cart(2, 2),
        _o("add_to_cart", "ok", 4, **ADD, qty=2),
        _o("add_to_cart", "refused", 3.5, expected=SHORT, **(ADD | {"cart": 2}), qty=1),
    ]
    outcomes[3].order_key = 4.5  # decided after the accepted write, whenever it was answered
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 2)}, {}))
    assert found.discrepancies == []
    assert found.notes == []


def test_an_unanswered_write_and_broken_invariants_are_reported() -> None:
    outcomes = [_o("open_cart", "error", 1, **CART)]
    outcomes[0].detail = "ConnectionResetError"
    orders = {9: {"paid": 0.0, "refunded": 5.0, "cancelled": False, "legs": {"S01": "picked_up"}}}
    found = reconcile({}, outcomes, TargetState({("S01", "A"): (-1, 0)}, orders))
    lines = [d.line() for d in found.discrepancies]
    assert lines[0] == (
        "unanswered write: customer 1 open_cart (command 1, t=1): "
        "expected an answer, found ConnectionResetError"
    )
    causes = {d.cause for d in found.discrepancies}
    assert {"stock below zero (oversold)", "refunded more than was paid", "picked up unpaid",
            "an order the fold does not know"} <= causes  # fmt: skip


def test_invariants_mode_reports_no_rule_difference() -> None:
    """A target that reserves nothing for carts: it takes the unit the simulation refused,
    holds no reservation, and breaks no invariant."""
    outcomes = [
        _cart(1, 1),
        _cart(2, 2),
        _o("add_to_cart", "ok", 3, **ADD, qty=2),
        _o("add_to_cart", "ok", 4, expected=SHORT, who=2, **(ADD | {"cart": 2}), qty=1),
    ]
    final = TargetState({("S01", "A"): (2, 0)}, {})
    assert reconcile(INITIAL, outcomes, final).discrepancies  # by the simulation's rules
    found = reconcile(INITIAL, outcomes, final, check=INVARIANTS)
    assert found.discrepancies == []
    assert [n.kind for n in found.notes] == [NOT_JUDGED]
    assert found.backend is None


def _checkout(key: float, order: int, qty: int, **extra: Any) -> Outcome:
    legs = [{"location": "S01", "mode": "click_collect", "lines": [{"sku": "A", "qty": qty}]}]
    return _o("checkout", "ok", key, order=order, cart=order, legs=legs, **extra)


def test_invariants_mode_finds_an_oversell_a_pickup_without_order_and_a_return_too_many() -> None:
    outcomes = [
        _checkout(1, 1, 2),
        _checkout(2, 2, 1),  # a third unit of two
        _o("cancel", "ok", 3, order=1),
        _o("pick_up", "ok", 4, order=1, location="S01"),  # of the cancelled order
        _o("pick_up", "ok", 5, order=7, location="S01"),  # of no order at all
        _o(
            "return",
            "ok",
            6,
            order=2,
            sku="A",
            qty=2,
            location="S01",
            return_mode="store",
            restock=False,
        ),
    ]
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (0, 0)}, {}), check=INVARIANTS)
    causes = [d.cause for d in found.discrepancies]
    assert causes == [
        "sold more than was in stock (oversell)",
        "pickup without an order",
        "pickup without an order",
        "returned more than was bought",
    ]
    assert found.discrepancies[0].found == "3 committed to orders"
    assert found.discrepancies[1].found == "a cancelled order"


def test_units_given_back_are_no_oversell() -> None:
    outcomes = _unpositioned(
        _checkout(1, 1, 2),
        _o("cancel", "ok", 2, order=1),
        _checkout(3, 2, 2),
        _o("receive_stock", "ok", 4, location="S02", sku="A", qty=1, reason="replenishment"),
        _checkout(5, 3, 1),
    )
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (0, 0)}, {}), check=INVARIANTS)
    assert found.discrepancies == []


def test_stock_differences_say_their_cause() -> None:
    backend = expected_backend({("S01", "A"): 1, ("S02", "A"): 2, ("S01", "B"): 3})
    final = TargetState({("S01", "A"): (2, 0), ("S02", "A"): (1, 0), ("S01", "B"): (2, 0)})
    assert [(d.where, d.cause) for d in compare_stock(backend, final)] == [
        ("S01/A", "allocated at another location (the sku's total on hand agrees)"),
        ("S01/B", "on hand differs from the fold of what the target accepted"),
        ("S02/A", "allocated at another location (the sku's total on hand agrees)"),
    ]


def test_many_rows_of_one_rule_difference_are_one_finding() -> None:
    rows = [
        Discrepancy(FIRST_DIVERGENCE, f"customer {i} add_to_cart", "accepted", "refused",
                    f"add_to_cart refused: {reason(f'only {i} left of sku {i * 7}')} where ..")
        for i in range(229)
    ] + [Discrepancy(STOCK, "S01/A", "on hand 1", "on hand 2", "on hand differs")]  # fmt: skip
    found = group(rows)
    assert [(f.kind, f.count) for f in found] == [(FIRST_DIVERGENCE, 229), (STOCK, 1)]
    assert found[0].cause == "add_to_cart refused: only N left of sku N where .."
    assert found[0].line().startswith("first divergence: add_to_cart refused: only N left")
    assert "(229 rows; e.g. customer 0 add_to_cart" in found[0].line()


def test_an_unknown_check_is_refused() -> None:
    with pytest.raises(ValueError, match="check: expected one of"):
        reconcile(INITIAL, [], TargetState(None), check="vibes")


def test_a_step_the_target_does_by_itself_is_folded_as_the_simulation_did() -> None:
    outcomes = [
        _o("open_cart", "ok", 1, **CART),
        _o("add_to_cart", "ok", 2, **ADD, qty=2),
        _o("expire_cart", "implicit", 3, cart=1),  # the target's reservations lapse by themselves
    ]
    outcomes[2].t = 100.0
    outcomes[2].order_key = None
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 0)}, {}))
    assert found.discrepancies == []
    assert found.notes == []


def test_refusing_for_another_rule_or_as_unauthorised_is_another_reason() -> None:
    other = _o("add_to_cart", "refused", 3, expected=SHORT, **ADD, qty=3)
    other.rule = "cart.closed"  # the target's code maps to another of the simulation's rules
    who = _o("add_to_cart", "unauthorised", 4, expected=SHORT, **ADD, qty=3)
    who.detail = "401 Unauthorized"
    mapped = _o("add_to_cart", "refused", 5, expected=SHORT, **ADD, qty=3)
    mapped.rule = SHORT  # the same rule: agreement
    outcomes = [_o("open_cart", "ok", 1, **CART), other, who, mapped]
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 0)}, {}))
    assert [(d.kind, d.cause) for d in found.discrepancies] == [
        ("other reason", "add_to_cart refused: cart.closed where the simulation refused: "
                         "stock.insufficient"),
        ("other reason", "add_to_cart unauthorised: N Unauthorized where the simulation "
                         "refused: stock.insufficient"),
    ]  # fmt: skip


def test_a_partial_answer_is_a_divergence() -> None:
    outcomes = [_o("open_cart", "ok", 1, **CART), _o("add_to_cart", "partial", 2, **ADD, qty=2)]
    outcomes[1].detail = "added 1 of 2"
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 1)}, {}))
    assert found.discrepancies[0].cause == (
        "add_to_cart partial: added N of N where the simulation accepted"
    )
    assert [d.kind for d in found.discrepancies] == [FIRST_DIVERGENCE, STOCK]


def test_a_target_that_reserves_nothing_for_carts_is_one_cause() -> None:
    outcomes = [_o("open_cart", "ok", 1, **CART), _o("add_to_cart", "ok", 2, **ADD, qty=2)]
    found = reconcile(INITIAL, outcomes, TargetState({("S01", "A"): (2, 0)}, {}))
    assert [(d.kind, d.cause) for d in found.discrepancies] == [
        (STOCK, "no reservation for carts (the target holds only the orders' reservations)")
    ]


def _short_then_received(overlap: bool) -> list[Outcome]:
    receipt = _o("receive_stock", "ok", 5, location="S01", sku="A", qty=1, reason="replenishment")
    if overlap:
        receipt.sent = 1.95  # in flight with the second checkout (answered at 2)
    return _unpositioned(_checkout(1, 1, 2), _checkout(2, 2, 1), receipt)


def test_without_positions_an_oversell_names_the_step_that_ran_short() -> None:
    found = reconcile(
        INITIAL, _short_then_received(overlap=False), TargetState({("S01", "A"): (0, 0)}, {}),
        check=INVARIANTS,
    )  # fmt: skip
    assert [(d.where, d.expected, d.found) for d in found.discrepancies] == [
        ("customer 1 checkout (command 2, t=2): A", "at most 2 units of A sold",
         "3 committed to orders"),
    ]  # fmt: skip


def test_a_shortfall_a_write_in_flight_with_it_makes_good_is_no_oversell() -> None:
    final = TargetState({("S01", "A"): (0, 0)}, {})
    found = reconcile(INITIAL, _short_then_received(overlap=True), final, check=INVARIANTS)
    assert found.discrepancies == []


def test_an_order_the_target_names_by_its_own_id_is_reported_not_a_crash() -> None:
    """A target's order never mapped back to a simulation id (its URL, say, for a checkout
    the fold refused) sorts beside the simulation's integer ids and is reported as unknown."""
    from loadtests.adapters.base import TargetState
    from loadtests.reconcile import compare_orders
    from simulation.domain.backend import Backend

    final = TargetState(stock=None, orders={"https://shop/orders/9f/": {"paid": 10.0}, 7: {}})
    found = compare_orders(Backend(), final, {})
    assert [d.where for d in found] == ["order 7", "order https://shop/orders/9f/"]
    assert all(d.expected == "no such order" for d in found)
