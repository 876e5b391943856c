"""After the run: does the target tell the truth about what the replay did to it?

The replayed writes the target answered are folded through the domain, in the order the
target decided them when it says so (an event position), else in the order its answers came
back, starting from the run's initial stock. That fold is the answer key:

- a write the target accepted that the rules refuse (an oversell, a pickup of an unpaid
  order, a return beyond what was bought) is a discrepancy;
- a write the target refused that the rules allow is one too (a dropped reservation shows
  up here or in the stock), and so is a write it never answered (its effect is unknown);
- the target's final stock per (location, sku) and its orders are compared with the fold;
- invariants are checked on what the target says: no stock below zero, reserved never above
  on hand, refunds never above payments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from loadtests.adapters.base import ERROR, OK, REFUSED, TargetState
from loadtests.commands import command_of
from loadtests.replay import Outcome
from simulation.domain.backend import Backend
from simulation.domain.commands import ReceiveStock
from simulation.domain.errors import DomainError
from simulation.types import LocationId, SimTime, SkuId

_CENT = 0.005


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One thing the target got wrong: what kind, where, what was expected, what it said."""

    kind: str
    where: str
    expected: str
    found: str

    def line(self) -> str:
        return f"{self.kind}: {self.where}: expected {self.expected}, found {self.found}"


def expected_backend(initial: Mapping[tuple[str, str], int]) -> Backend:
    backend = Backend()
    for (loc, sku), qty in sorted(initial.items()):
        backend.handle(
            ReceiveStock(
                at=SimTime(0.0), location=LocationId(loc), sku=SkuId(sku), qty=qty, reason="initial"
            )
        )
    return backend


def _ordered(outcomes: Iterable[Outcome]) -> list[Outcome]:
    answered = [o for o in outcomes if o.result in (OK, REFUSED, ERROR)]
    if answered and all(o.order_key is not None for o in answered if o.result != ERROR):
        return sorted(
            answered, key=lambda o: (o.order_key if o.order_key is not None else o.done, o.done)
        )
    return sorted(answered, key=lambda o: o.done)


def reconcile(
    initial: Mapping[tuple[str, str], int], outcomes: Iterable[Outcome], final: TargetState
) -> tuple[list[Discrepancy], Backend]:
    """Every discrepancy between the target and the fold of what it answered, and the fold."""
    backend = expected_backend(initial)
    found: list[Discrepancy] = []
    target_order: dict[Any, int] = {}
    for o in _ordered(outcomes):
        where = f"customer {o.customer} {o.kind} (command {o.command}, t={o.t:g})"
        if o.result == ERROR:
            found.append(
                Discrepancy(
                    "unanswered write", where, "an answer", o.detail or f"status {o.status}"
                )
            )
            continue
        command = command_of(o.step)
        if command is None:
            continue
        try:
            events = backend.decide(command)
        except DomainError as refusal:
            if o.result == OK:
                found.append(
                    Discrepancy(
                        "accepted a refused write", where, f"refusal ({refusal.rule})", "accepted"
                    )
                )
            continue
        if o.result == REFUSED:
            found.append(
                Discrepancy("refused an allowed write", where, "accepted", f"refused ({o.detail})")
            )
            continue
        for event in events:
            backend.evolve(event)
        if "order" in o.data and "order" in o.learned:
            target_order[o.learned["order"]] = int(o.data["order"])
    found += _compare_stock(backend, final)
    found += _compare_orders(backend, final, target_order)
    found += _invariants(final)
    return found, backend


def _compare_stock(backend: Backend, final: TargetState) -> list[Discrepancy]:
    if final.stock is None:
        return []
    out = []
    keys = set(final.stock) | {(str(loc), str(sku)) for loc, sku in backend.stock}
    for loc, sku in sorted(keys):
        level = backend.stock_level(LocationId(loc), SkuId(sku))
        want = (level.on_hand, level.reserved_total)
        got = final.stock.get((loc, sku), (0, 0))
        if want != got:
            out.append(
                Discrepancy(
                    "stock", f"{loc}/{sku}", f"on hand {want[0]}, reserved {want[1]}",
                    f"on hand {got[0]}, reserved {got[1]}",
                )
            )  # fmt: skip
    return out


def _compare_orders(
    backend: Backend, final: TargetState, target_order: Mapping[Any, int]
) -> list[Discrepancy]:
    if final.orders is None:
        return []
    out = []
    theirs = {target_order.get(k, k): v for k, v in final.orders.items()}
    for order_id in sorted(set(theirs) | set(backend.orders)):
        mine = backend.orders.get(order_id)  # type: ignore[call-overload]
        got = theirs.get(order_id)
        where = f"order {order_id}"
        if mine is None or got is None:
            out.append(
                Discrepancy(
                    "order", where, "no such order" if mine is None else "the order",
                    "missing" if got is None else "an order",
                )
            )  # fmt: skip
            continue
        want = {"paid": mine.paid, "refunded": mine.refunded, "cancelled": mine.cancelled}
        for name, value in want.items():
            seen = got.get(name)
            same = (
                abs(float(seen or 0) - float(value)) < _CENT
                if name != "cancelled"
                else bool(seen) == value
            )
            if not same:
                out.append(Discrepancy("order", f"{where} {name}", str(value), str(seen)))
        legs = got.get("legs")
        if legs is not None:
            mine_legs = {str(leg.location): leg.status.value for leg in mine.legs}
            if mine_legs != legs:
                out.append(Discrepancy("order", f"{where} legs", str(mine_legs), str(legs)))
    return out


def _invariants(final: TargetState) -> list[Discrepancy]:
    out = []
    for (loc, sku), (on_hand, reserved) in sorted((final.stock or {}).items()):
        if on_hand < 0:
            out.append(
                Discrepancy("invariant", f"{loc}/{sku}", "on hand >= 0 (no oversell)", str(on_hand))
            )
        if not 0 <= reserved <= max(on_hand, 0):
            out.append(
                Discrepancy(
                    "invariant",
                    f"{loc}/{sku}",
                    f"0 <= reserved <= on hand ({on_hand})",
                    str(reserved),
                )
            )
    for order_id, order in sorted((final.orders or {}).items()):
        if float(order.get("refunded", 0)) > float(order.get("paid", 0)) + _CENT:
            out.append(
                Discrepancy("invariant", f"order {order_id}",
                            f"refunded <= paid ({order.get('paid')})",
                            str(order.get("refunded")))
            )  # fmt: skip
        legs = order.get("legs") or {}
        if float(order.get("paid", 0)) <= 0 and "picked_up" in legs.values():
            out.append(
                Discrepancy(
                    "invariant",
                    f"order {order_id}",
                    "no pickup without payment",
                    "picked up, unpaid",
                )
            )
    return out
