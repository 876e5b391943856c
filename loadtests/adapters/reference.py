"""The adapter for omnicanal's own reference API (``omnicanal serve``).

Ids are the simulation's own (the API takes the client's cart and order ids), every write
carries the step's simulated time in ``X-Sim-Time`` so deadlines (reservation TTLs, hold
expiry) fall where they fell in the simulation, and the ``X-Event-Position`` header of each
answer tells the reconciliation the order in which the server decided the writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from loadtests.adapters.base import (
    Adapter,
    Answer,
    Ids,
    ReplayRefused,
    Request,
    TargetState,
)
from loadtests.journeys import Step

_LEG_ACTIONS = {
    "ship": "ship",
    "deliver": "deliver",
    "hand_over": "handover",
    "pick_up": "pickup",
    "expire_hold": "expire",
}


def _route(step: Step) -> tuple[str, str, dict[str, Any] | None]:  # noqa: PLR0912
    d = step.data
    match step.kind:
        case "browse":
            return "GET", "/catalogue", None
        case "check_stock":
            return "GET", f"/stock/{d['location']}/{d['sku']}?channel={d['channel']}", None
        case "open_cart":
            return "POST", "/carts", {k: d[k] for k in ("customer", "cart", "channel")}
        case "add_to_cart":
            body = {"sku": d["sku"], "qty": d["qty"], "unit_price": float(d["unit_price"])}
            if d.get("reserve_at"):
                body |= {"reserve_at": d["reserve_at"], "ttl": float(d["ttl"])}
            return "POST", f"/carts/{d['cart']}/items", body
        case "remove_from_cart":
            return "POST", f"/carts/{d['cart']}/items/{d['sku']}/remove", {"qty": d["qty"]}
        case "move_cart":
            return "POST", f"/carts/{d['cart']}/move", {"channel": d["channel"]}
        case "abandon":
            return "POST", f"/carts/{d['cart']}/abandon", {"reason": d["reason"]}
        case "expire_cart":
            return "POST", f"/carts/{d['cart']}/expire", None
        case "checkout":
            return "POST", "/orders", {k: d[k] for k in ("order", "cart", "legs")}
        case "pay":
            return "POST", f"/orders/{d['order']}/payment", {"amount": float(d["amount"])}
        case "cancel":
            return "POST", f"/orders/{d['order']}/cancel", {"reason": d["reason"]}
        case "hold":
            body = {"hold_minutes": float(d["hold_minutes"])}
            return "POST", f"/orders/{d['order']}/legs/{d['location']}/hold", body
        case "ship" | "deliver" | "hand_over" | "pick_up" | "expire_hold":
            action = _LEG_ACTIONS[step.kind]
            return "POST", f"/orders/{d['order']}/legs/{d['location']}/{action}", None
        case "return":  # the API's body names the command's field: return_mode
            body = {k: d[k] for k in ("sku", "qty", "location", "restock")}
            return "POST", f"/orders/{d['order']}/returns", body | {"return_mode": d["mode"]}
        case "backorder":
            keys = ("customer", "order", "channel", "location", "sku", "qty", "mode")
            return (
                "POST",
                "/backorders",
                {k: d[k] for k in keys} | {"unit_price": float(d["unit_price"])},
            )
        case "fill_backorder":
            return "POST", f"/backorders/{d['order']}/fill", None
        case "receive_stock":
            return "POST", "/admin/stock", {k: d[k] for k in ("location", "sku", "qty")}
        case "transfer":
            return "POST", "/admin/transfer", {k: d[k] for k in ("location", "to", "sku", "qty")}
        case "write_off":
            return (
                "POST",
                "/admin/write-off",
                {k: d[k] for k in ("location", "sku", "qty", "reason")},
            )
        case "set_safety":
            return "POST", "/admin/safety", {k: d[k] for k in ("location", "sku", "level")}
        case "fence":
            return (
                "POST",
                "/admin/fence",
                {k: d[k] for k in ("location", "sku", "channel", "level")},
            )
    raise ValueError(f"step kind: no route for {step.kind!r}")


class ReferenceAdapter(Adapter):
    """``omnicanal serve``: reset to the run's stock first, read ``/admin/state`` at the end."""

    name = "reference"

    def request(self, step: Step, ids: Ids) -> Request | None:
        method, path, body = _route(step)
        headers = {"X-Sim-Time": repr(float(step.t))}
        if method == "POST":
            headers |= self.auth
        return Request(step.kind, method, path, body, headers)

    def order_key(self, answer: Answer) -> float | None:
        position = answer.headers.get("x-event-position")
        if position is None:
            return None
        # A write's position is its last event's; a refusal was decided after that position.
        return float(position) + (0.0 if 200 <= answer.status < 300 else 0.5)

    def prepare(self, http: httpx.Client, initial: Mapping[tuple[str, str], int]) -> None:
        stock = [
            {"location": loc, "sku": sku, "qty": q} for (loc, sku), q in sorted(initial.items())
        ]
        try:
            answer = http.post("/admin/reset", json={"stock": stock}, headers=self.auth)
        except httpx.HTTPError as error:
            raise ReplayRefused(f"the target did not answer the reset: {error}") from None
        if answer.status_code == 401:
            raise ReplayRefused(
                "the target refused the reset token: set OMNICANAL_API_TOKEN (or "
                "OMNICANAL_API_TOKEN_FILE) to the token the server was started with"
            )
        if answer.status_code != 200:
            detail = answer.json().get("detail", answer.text) if answer.content else ""
            raise ReplayRefused(f"the target refused the reset ({answer.status_code}): {detail}")

    def final_state(self, http: httpx.Client) -> TargetState:
        answer = http.get("/admin/state", headers=self.auth)
        if answer.status_code != 200:
            raise ReplayRefused(f"GET /admin/state answered {answer.status_code}")
        body = answer.json()
        stock = {
            (str(r["location"]), str(r["sku"])): (int(r["on_hand"]), int(r["reserved"]))
            for r in body["stock"]
        }
        orders = {
            int(o["order"]): {
                "paid": float(o["paid"]), "refunded": float(o["refunded"]),
                "cancelled": bool(o["cancelled"]),
                "legs": {str(leg["location"]): str(leg["status"]) for leg in o["legs"]},
            }
            for o in body["orders"]
        }  # fmt: skip
        return TargetState(stock, orders)
