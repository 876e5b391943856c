"""The target's own consistency, whatever its business rules: what any backend must keep.

Two sources, neither of which needs the simulation's rules:

- the final state the target reports (:func:`final_invariants`): no stock below zero,
  reserved never above on hand, refunds never above payments, no pickup of an unpaid order;
- the writes the target accepted (:func:`ledger_invariants`), in the order it decided them
  when it says so, else in the simulation's log order: no sku sold beyond the units it ever
  had (initial stock and receipts, less write-offs, with the units of cancelled orders, of
  expired holds and of restocked returns given back), no pickup or hand-over of an order the
  target never accepted (or had cancelled), no return beyond what the order bought.

Counted per sku over every location, the oversell check holds for a target that allocates
at other locations than the simulation, or reserves nothing for carts. It names the write
after which the sku's units first ran short. Without the target's positions, two writes in
flight together may be folded in the other order than it decided them: a shortfall that a
write in flight with its cause makes good again (a receipt, a cancellation) is not reported.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from loadtests.adapters.base import IMPLICIT, OK, TargetState
from loadtests.findings import INVARIANT, Discrepancy
from loadtests.recorder import Outcome
from simulation.commandlog import ACCEPTED

_CENT = 0.005


def in_decision_order(outcomes: Iterable[Outcome]) -> tuple[list[Outcome], bool]:
    """The writes in the order the target decided them when every answer says (its
    positions), else in the simulation's log order; and whether positions were used. A step
    the target does by itself (implicit) takes the position of the write before it."""
    by_log = sorted(outcomes, key=lambda o: o.command)
    if not by_log or any(o.order_key is None for o in by_log if o.result != IMPLICIT):
        return by_log, False
    keys, last = [], -math.inf
    for i, o in enumerate(by_log):
        if o.result != IMPLICIT and o.order_key is not None:
            last = o.order_key
        keys.append((last, o.command, i))
    return [by_log[i] for *_, i in sorted(keys)], True


def final_invariants(final: TargetState) -> list[Discrepancy]:
    """What the target's final state itself breaks."""
    out = []
    for (loc, sku), (on_hand, reserved) in sorted((final.stock or {}).items()):
        if on_hand < 0:
            out.append(
                Discrepancy(
                    INVARIANT,
                    f"{loc}/{sku}",
                    "on hand >= 0 (no oversell)",
                    str(on_hand),
                    "stock below zero (oversold)",
                )
            )
        if not 0 <= reserved <= max(on_hand, 0):
            out.append(
                Discrepancy(
                    INVARIANT,
                    f"{loc}/{sku}",
                    f"0 <= reserved <= on hand ({on_hand})",
                    str(reserved),
                    "reserved above on hand (or below zero)",
                )
            )
    for order_id, order in sorted((final.orders or {}).items(), key=lambda kv: str(kv[0])):
        if float(order.get("refunded", 0)) > float(order.get("paid", 0)) + _CENT:
            out.append(
                Discrepancy(
                    INVARIANT,
                    f"order {order_id}",
                    f"refunded <= paid ({order.get('paid')})",
                    str(order.get("refunded")),
                    "refunded more than was paid",
                )
            )
        legs = order.get("legs") or {}
        if float(order.get("paid", 0)) <= 0 and "picked_up" in legs.values():
            out.append(
                Discrepancy(
                    INVARIANT,
                    f"order {order_id}",
                    "no pickup without payment",
                    "picked up, unpaid",
                    "picked up unpaid",
                )
            )
    return out


def _lines(o: Outcome) -> list[tuple[str, str, int]]:
    """(location, sku, qty) of what an accepted checkout or backorder commits."""
    if o.kind == "checkout":
        return [
            (str(leg["location"]), str(line["sku"]), int(line["qty"]))
            for leg in o.data.get("legs", ())
            for line in leg.get("lines", ())
        ]
    if o.kind == "backorder":
        return [(str(o.data["location"]), str(o.data["sku"]), int(o.data["qty"]))]
    return []


class _Units:
    """Per sku: units the target ever had and units it committed to orders."""

    def __init__(self, initial: Mapping[tuple[str, str], int]) -> None:
        self.had: Counter[str] = Counter()
        for (_, sku), qty in initial.items():
            self.had[sku] += qty
        self.committed: Counter[str] = Counter()
        self.orders: dict[Any, list[tuple[str, str, int]]] = {}  # order -> its open lines
        self.backorders: dict[Any, list[tuple[str, str, int]]] = {}
        self.bought: dict[Any, Counter[str]] = {}
        self.returned: dict[Any, Counter[str]] = {}
        self.cancelled: set[Any] = set()

    def accept(self, o: Outcome) -> list[str]:
        """Fold one accepted write; returns the skus whose units it changed."""
        data, order = o.data, o.data.get("order")
        match o.kind:
            case "receive_stock":
                self.had[str(data["sku"])] += int(data["qty"])
                return [str(data["sku"])]
            case "write_off":
                self.had[str(data["sku"])] -= int(data["qty"])
                return [str(data["sku"])]
            case "checkout":
                self._buy(order, _lines(o))
                return self._commit(order, _lines(o))
            case "backorder":  # its units are committed when it is filled
                self.backorders[order] = _lines(o)
                self._buy(order, _lines(o))
            case "fill_backorder":
                return self._commit(order, self.backorders.pop(order, []))
            case "cancel":
                self.cancelled.add(order)
                return self._release(self.orders.pop(order, []))
            case "expire_hold":
                at = str(data["location"])
                lines = self.orders.get(order, [])
                self.orders[order] = [x for x in lines if x[0] != at]
                return self._release([x for x in lines if x[0] == at])
            case "return":
                sku, qty = str(data["sku"]), int(data["qty"])
                self.returned.setdefault(order, Counter())[sku] += qty
                if data.get("restock", True):
                    self.committed[sku] -= qty
                return [sku]
        return []

    def _buy(self, order: Any, lines: list[tuple[str, str, int]]) -> None:
        bought = self.bought.setdefault(order, Counter())
        for _, sku, qty in lines:
            bought[sku] += qty

    def _commit(self, order: Any, lines: list[tuple[str, str, int]]) -> list[str]:
        self.orders[order] = [*self.orders.get(order, []), *lines]
        for _, sku, qty in lines:
            self.committed[sku] += qty
        return [sku for _, sku, _ in lines]

    def _release(self, lines: list[tuple[str, str, int]]) -> list[str]:
        for _, sku, qty in lines:
            self.committed[sku] -= qty
        return [sku for _, sku, _ in lines]


def ledger_invariants(
    initial: Mapping[tuple[str, str], int], ledger: Sequence[Outcome]
) -> list[Discrepancy]:
    """What the writes the target accepted break, with no rule of the simulation's."""
    done = [
        o for o in ledger if o.result == OK or (o.result == IMPLICIT and o.expected == ACCEPTED)
    ]
    ordered, positioned = in_decision_order(done)
    units = _Units(initial)
    out: list[Discrepancy] = []
    reported: set[str] = set()
    shortfalls = _Shortfalls()
    for o in ordered:
        where = f"customer {o.customer} {o.kind} (command {o.command}, t={o.t:g})"
        order = o.data.get("order")
        if o.kind in ("pick_up", "hand_over") and (
            order not in units.bought or order in units.cancelled
        ):
            out.append(
                Discrepancy(
                    INVARIANT,
                    where,
                    "an order the target accepted",
                    "no such order" if order not in units.cancelled else "a cancelled order",
                    "pickup without an order",
                )
            )
        touched = units.accept(o)
        if o.kind == "return":
            sku = str(o.data["sku"])
            bought = units.bought.get(order, Counter())[sku]
            if units.returned[order][sku] > bought:
                out.append(
                    Discrepancy(
                        INVARIANT,
                        where,
                        f"at most {bought} returned",
                        str(units.returned[order][sku]),
                        "returned more than was bought",
                    )
                )
        for sku in sorted(set(touched) - reported):
            now = (o, units.committed[sku], units.had[sku])
            found = shortfalls.see(sku, now, positioned=positioned)
            if found is not None:
                reported.add(sku)
                out.append(_oversell(sku, *found))
    for sku, cause in sorted(shortfalls.pending.items()):  # still short at the end
        if sku not in reported:
            out.append(_oversell(sku, *cause))
    return out


Shortfall = tuple[Outcome, int, int]
"""The write after which a sku ran short, its units committed then, and its units had."""


class _Shortfalls:
    """When each sku's units first ran short, and whether that is an oversell: at once with
    the target's positions; without, unless a write in flight with its cause makes it good."""

    def __init__(self) -> None:
        self.pending: dict[str, Shortfall] = {}

    def see(self, sku: str, now: Shortfall, *, positioned: bool) -> Shortfall | None:
        o, committed, had = now
        cause = self.pending.get(sku)
        if committed > had and cause is None:
            if positioned:
                return now
            self.pending[sku] = now
        elif committed <= had and cause is not None:
            del self.pending[sku]
            first = cause[0]
            if not (o.sent < first.done and first.sent < o.done):  # not in flight together
                return cause
        return None


def _oversell(sku: str, cause: Outcome, committed: int, had: int) -> Discrepancy:
    where = f"customer {cause.customer} {cause.kind} (command {cause.command}, t={cause.t:g})"
    return Discrepancy(
        INVARIANT,
        f"{where}: {sku}",
        f"at most {had} units of {sku} sold",
        f"{committed} committed to orders",
        "sold more than was in stock (oversell)",
    )
