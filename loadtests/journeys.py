"""From an event log to journeys: each customer's ordered steps, and a schedule to replay them.

The simulation's log is both the traffic model and the answer key. Every state-changing event
in the log is the result of one command; this module turns the log back into those commands,
as steps: what one customer did that an HTTP API would see (browse, check stock, open a cart,
add to it, move it, check out, pay, pick up, return, cancel, abandon), in order, at its
simulated time, with everything the request needs. The back office's commands (ship, deliver,
hold, expire, receive, transfer) are steps too, marked ``actor="back_office"``: those about an
order or a cart belong to the journey of the customer who owns it, those about a location to
the operations journey (customer :data:`OPERATIONS`). Replaying every step in ``seq`` order
through the domain rebuilds the log's state exactly; the tests check it.

This module reads the log with pyarrow and pandas only: it never imports SimPy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simulation.eventlog import cell

OPERATIONS = -1
"""The customer id of the journey that holds a location's back-office steps."""

CUSTOMER_STEPS: dict[str, str] = {
    "TouchpointVisited": "browse",
    "StockChecked": "check_stock",
    "CartOpened": "open_cart",
    "CartItemAdded": "add_to_cart",
    "CartItemRemoved": "remove_from_cart",
    "CartMoved": "move_cart",
    "CartAbandoned": "abandon",
    "OrderPlaced": "checkout",
    "PaymentCaptured": "pay",
    "LegPickedUp": "pick_up",
    "LegHandedOver": "hand_over",
    "OrderCancelled": "cancel",
    "ReturnReceived": "return",
    "BackorderPlaced": "backorder",
}
"""Log event types that are a customer's request, and the step each becomes."""

BACK_OFFICE_STEPS: dict[str, str] = {
    "ReservationExpired": "expire_cart",
    "LegShipped": "ship",
    "LegDelivered": "deliver",
    "HoldPlaced": "hold",
    "HoldExpired": "expire_hold",
    "StockReceived": "receive_stock",
    "StockTransferredOut": "transfer",
    "StockWrittenOff": "write_off",
    "SafetyStockSet": "set_safety",
    "StockFenced": "fence",
    "BackorderFilled": "fill_backorder",
}
"""Log event types that are the back office's command, and the step each becomes."""

READS = frozenset({"browse", "check_stock"})
"""Steps that change nothing: a target's answer to them is never reconciled."""


@dataclass(frozen=True, slots=True)
class Step:
    """One request of a journey: its kind, its simulated time (minutes), and what it carries.

    ``seq`` is the log position of the event the step was read from, so that all steps of a
    replication sort into the order the simulation decided them.
    """

    kind: str
    t: float
    data: dict[str, Any] = field(default_factory=dict)
    actor: str = "customer"
    seq: int = 0


@dataclass(frozen=True, slots=True)
class Journey:
    customer: int
    steps: tuple[Step, ...]

    @property
    def start(self) -> float:
        return self.steps[0].t


_ROW = ("seq", "t", "type", "customer", "channel", "location", "sku", "cart", "order", "qty")
_MORE = ("amount", "mode", "reason", "until")


def journeys(
    log: pd.DataFrame, replication: int | None = None, *, back_office: bool = True
) -> list[Journey]:
    """Every customer's steps in log order, customers ordered by their first step.

    Events without a ``customer`` column (add-to-cart, checkout, payment, pickup) go to the
    customer who owns their cart or order. A checkout carries its legs as ``data["legs"]``:
    a list of {location, mode, lines: [{sku, qty}]}. With ``back_office=False`` only the
    customers' own requests are kept.
    """
    rep = log["replication"].min() if replication is None else replication
    frame = log[log["replication"] == rep].sort_values("seq", kind="stable")
    columns = {c: frame[c].tolist() for c in (*_ROW, *_MORE) if c in frame}
    rows = ({c: cell(v[i]) for c, v in columns.items()} for i in range(len(frame)))
    reader = _Reader()
    for row in rows:
        reader.read(row)
    steps: dict[int, list[Step]] = {}
    for who, step in reader.steps:
        if back_office or step.actor == "customer":
            steps.setdefault(who, []).append(step)
    found = [Journey(c, tuple(s)) for c, s in steps.items()]
    return sorted(found, key=lambda j: (j.start, j.customer))


class _Reader:
    """Reads rows in ``seq`` order: a command's first event makes a step, its other events
    (a reservation, the allocated lines, a restock) complete it or are its consequences."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, Step]] = []
        self.owners: dict[tuple[str, int], int] = {}
        self.last: Step | None = None
        self.expired: set[tuple[int, float]] = set()
        self.returned: tuple[float, str, str] | None = None  # a write-off that is a return's

    def read(self, row: dict[str, Any]) -> None:
        kind_of = str(row["type"])
        if kind_of == "CartOpened":
            self.owners["cart", row["cart"]] = row["customer"]
        elif kind_of in ("OrderPlaced", "BackorderPlaced"):
            self.owners["order", row["order"]] = row["customer"]
        if self._completes(kind_of, row):
            return
        kind = CUSTOMER_STEPS.get(kind_of) or BACK_OFFICE_STEPS.get(kind_of)
        if kind is None:
            return
        data = _data(kind, row)
        if data is None:
            return
        actor = "customer" if kind_of in CUSTOMER_STEPS else "back_office"
        step = Step(kind, float(row["t"]), data, actor, int(row["seq"]))
        self.last = step
        who = self._owner(row)
        if who is not None:
            self.steps.append((who, step))

    def _completes(self, kind_of: str, row: dict[str, Any]) -> bool:
        """Fold a command's later event into its step; True if the row is no step of its own."""
        last, t = self.last, float(row["t"])
        if kind_of == "StockReserved":
            if last is not None and last.kind == "add_to_cart" and last.t == t:
                last.data["reserve_at"] = row["location"]
                last.data["ttl"] = float(row["until"]) - t
            return True
        if kind_of == "LineAllocated":
            if last is not None and last.kind == "checkout" and last.data["order"] == row["order"]:
                _add_line(last.data["legs"], row)
            return True
        if kind_of == "ReservationExpired":
            key = (int(row["cart"]), t)
            if key in self.expired:
                return True  # one command expires every due line of the cart
            self.expired.add(key)
        if kind_of == "ReturnReceived" and row["reason"] == "written_off":
            self.returned = (t, str(row["location"]), str(row["sku"]))
        if kind_of == "StockWrittenOff" and self.returned == (
            t,
            str(row["location"]),
            str(row["sku"]),
        ):
            self.returned = None
            return True
        return False

    def _owner(self, row: dict[str, Any]) -> int | None:
        if row.get("customer") is not None:
            return int(row["customer"])
        for key in ("order", "cart"):
            if row.get(key) is not None:
                return self.owners.get((key, int(row[key])))
        return OPERATIONS


def _add_line(legs: list[dict[str, Any]], row: dict[str, Any]) -> None:
    for leg in legs:
        if leg["location"] == row["location"] and leg["mode"] == row["mode"]:
            break
    else:
        leg = {"location": str(row["location"]), "mode": str(row["mode"]), "lines": []}
        legs.append(leg)
    leg["lines"].append({"sku": str(row["sku"]), "qty": int(row["qty"])})


def _data(kind: str, row: dict[str, Any]) -> dict[str, Any] | None:  # noqa: PLR0912
    """What the step's request carries, from its first event; None for an event that is no
    command of its own (a reservation release, a transfer's arrival is a receipt)."""
    pick = {k: row[k] for k in ("channel", "location", "sku", "cart", "order", "qty")}
    match kind:
        case "browse":
            return {"channel": pick["channel"], "step": row["reason"], "sku": pick["sku"]}
        case "check_stock":
            return {k: pick[k] for k in ("channel", "location", "sku")}
        case "open_cart":
            return {"customer": row["customer"], "cart": pick["cart"], "channel": pick["channel"]}
        case "add_to_cart":
            return {"cart": pick["cart"], "sku": pick["sku"], "qty": pick["qty"],
                    "unit_price": row["amount"], "channel": pick["channel"]}  # fmt: skip
        case "remove_from_cart":
            return {k: pick[k] for k in ("cart", "sku", "qty")}
        case "move_cart":
            return {"cart": pick["cart"], "channel": pick["channel"]}
        case "abandon":
            return {"cart": pick["cart"], "reason": row["reason"]}
        case "expire_cart":
            return {"cart": pick["cart"]}
        case "checkout":
            return {"order": pick["order"], "cart": pick["cart"], "channel": pick["channel"],
                    "amount": row["amount"], "legs": []}  # fmt: skip
        case "pay":
            return {"order": pick["order"], "amount": row["amount"]}
        case "cancel":
            return {"order": pick["order"], "reason": row["reason"]}
        case "hold":
            return {"order": pick["order"], "location": pick["location"],
                    "hold_minutes": float(row["until"]) - float(row["t"])}  # fmt: skip
        case "ship" | "deliver" | "hand_over" | "pick_up" | "expire_hold":
            return {"order": pick["order"], "location": pick["location"]}
        case "return":
            return {"order": pick["order"], "sku": pick["sku"], "qty": pick["qty"],
                    "location": pick["location"], "mode": row["mode"],
                    "restock": row["reason"] != "written_off"}  # fmt: skip
        case "backorder":
            return {"customer": row["customer"], "order": pick["order"], "channel": pick["channel"],
                    "location": pick["location"], "sku": pick["sku"], "qty": pick["qty"],
                    "unit_price": float(row["amount"]) / int(row["qty"]),
                    "mode": row["mode"]}  # fmt: skip
        case "fill_backorder":
            return {"order": pick["order"]}
        case "receive_stock":
            if row["reason"] == "initial":
                return None  # the starting stock: the replay's preparation puts it there
            return {k: pick[k] for k in ("location", "sku", "qty")} | {"reason": row["reason"]}
        case "transfer":
            to = str(row["reason"]).removeprefix("to ")
            return {"location": pick["location"], "to": to, "sku": pick["sku"], "qty": pick["qty"]}
        case "write_off":
            return {k: pick[k] for k in ("location", "sku", "qty")} | {"reason": row["reason"]}
        case "set_safety":
            return {"location": pick["location"], "sku": pick["sku"], "level": pick["qty"]}
        case "fence":
            return {k: pick[k] for k in ("location", "sku", "channel")} | {"level": pick["qty"]}
    raise AssertionError(kind)  # pragma: no cover - every kind above is listed


def initial_stock(log: pd.DataFrame, replication: int | None = None) -> dict[tuple[str, str], int]:
    """The stock a run started with: (location, sku) -> units received as ``initial``."""
    rep = log["replication"].min() if replication is None else replication
    frame = log[
        (log["replication"] == rep)
        & (log["type"] == "StockReceived")
        & (log["reason"] == "initial")
    ]
    out: dict[tuple[str, str], int] = {}
    for location, sku, qty in frame[["location", "sku", "qty"]].itertuples(index=False):
        key = (str(location), str(sku))
        out[key] = out.get(key, 0) + int(qty)
    return out


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A journey with the wall-clock offset (seconds from the replay's start) of each step."""

    journey: Journey
    offsets: tuple[float, ...]

    @property
    def start(self) -> float:
        return self.offsets[0]


def schedule(
    found: list[Journey], speedup: float, *, origin: float | None = None
) -> list[Scheduled]:
    """Compress simulated minutes into wall seconds: ``speedup`` 60 plays one hour in a minute."""
    if not speedup > 0:
        raise ValueError(f"speedup must be > 0, got {speedup}")
    zero = min((j.start for j in found), default=0.0) if origin is None else origin
    return [Scheduled(j, tuple((s.t - zero) * 60.0 / speedup for s in j.steps)) for j in found]


def shard(items: list[Scheduled], index: int, count: int) -> Iterator[Scheduled]:
    """The journeys one of ``count`` workers replays: every customer in exactly one shard."""
    if not 0 <= index < count:
        raise ValueError(f"shard index must be in [0, {count}), got {index}")
    return (s for s in items if s.journey.customer % count == index)
