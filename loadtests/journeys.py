"""From an event log to journeys: each customer's ordered steps, and a schedule to replay them.

The simulation's log is both the traffic model and the answer key. A journey is what one
customer did that an HTTP API would see, in order, at its simulated time: browse, check stock,
open a cart, add to it (reserving or not), move it to another channel, check out (with the legs
the simulation chose), pay, pick up, return, cancel, abandon. Back-office steps (shipping,
deliveries, hold expiry) are not the customer's and stay out.

This module reads the log with pyarrow and pandas only: it never imports SimPy.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simulation.eventlog import cell

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
}
"""Log event types that are a customer's request, and the step each becomes."""

_PAYLOAD = (
    "channel",
    "location",
    "sku",
    "cart",
    "order",
    "qty",
    "amount",
    "mode",
    "reason",
    "until",
)


@dataclass(frozen=True, slots=True)
class Step:
    """One request of a journey: its kind, its simulated time (minutes), and what it carries."""

    kind: str
    t: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Journey:
    customer: int
    steps: tuple[Step, ...]

    @property
    def start(self) -> float:
        return self.steps[0].t


def journeys(log: pd.DataFrame, replication: int | None = None) -> list[Journey]:
    """Every customer's steps in log order, customers ordered by their first step.

    Events without a ``customer`` column (add-to-cart, checkout, payment, pickup) are given to
    the customer who owns their cart or order. The legs of a checkout ride on its step as
    ``data["legs"]``: a list of {location, mode, lines: [{sku, qty}]}.
    """
    rep = log["replication"].min() if replication is None else replication
    frame = log[log["replication"] == rep]
    owners = _owners(frame)
    legs = _legs(frame)
    chosen = frame[frame["type"].isin(list(CUSTOMER_STEPS))]
    steps: dict[int, list[Step]] = {}
    for row in chosen.to_dict("records"):
        who = _owner(row, owners)
        if who is None:
            continue
        data = {k: v for k in _PAYLOAD if (v := cell(row[k])) is not None}
        kind = CUSTOMER_STEPS[str(row["type"])]
        if kind == "checkout":
            data["legs"] = legs.get(int(row["order"]), [])
        steps.setdefault(who, []).append(Step(kind, float(row["t"]), data))
    found = [Journey(c, tuple(s)) for c, s in steps.items()]
    return sorted(found, key=lambda j: (j.start, j.customer))


def _owners(frame: pd.DataFrame) -> dict[tuple[str, int], int]:
    owners: dict[tuple[str, int], int] = {}
    for cart, customer in frame.loc[frame["type"] == "CartOpened", ["cart", "customer"]].itertuples(
        index=False
    ):
        owners["cart", int(cart)] = int(customer)
    for order, customer in frame.loc[
        frame["type"] == "OrderPlaced", ["order", "customer"]
    ].itertuples(index=False):
        owners["order", int(order)] = int(customer)
    return owners


def _owner(row: Mapping[Hashable, Any], owners: dict[tuple[str, int], int]) -> int | None:
    if cell(row["customer"]) is not None:
        return int(row["customer"])
    for key in ("order", "cart"):
        if cell(row[key]) is not None:
            return owners.get((key, int(row[key])))
    return None


def _legs(frame: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    lines = frame[frame["type"] == "LineAllocated"]
    out: dict[int, list[dict[str, Any]]] = {}
    for (order, location, mode), part in lines.groupby(
        ["order", "location", "mode"], observed=True, sort=False
    ):
        out.setdefault(cell(order), []).append(
            {
                "location": str(location),
                "mode": str(mode),
                "lines": [
                    {"sku": str(s), "qty": int(q)}
                    for s, q in zip(part["sku"], part["qty"], strict=True)
                ],
            }
        )
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
    if speedup <= 0:
        raise ValueError(f"speedup must be > 0, got {speedup}")
    zero = min((j.start for j in found), default=0.0) if origin is None else origin
    return [Scheduled(j, tuple((s.t - zero) * 60.0 / speedup for s in j.steps)) for j in found]


def shard(items: list[Scheduled], index: int, count: int) -> Iterator[Scheduled]:
    """The journeys one of ``count`` workers replays: every customer in exactly one shard."""
    if not 0 <= index < count:
        raise ValueError(f"shard index must be in [0, {count}), got {index}")
    return (s for s in items if s.journey.customer % count == index)
