"""The adapter for omnicanal's own reference API (``omnicanal serve``).

Each step's request is its kind's route (``loadtests/reference_api/routes.py``, the table the
API's endpoints are made from too), filled from the step's payload. Ids are the simulation's
own (the API takes the client's cart and order ids), every write carries the step's simulated
time in ``X-Sim-Time`` so deadlines (reservation TTLs, hold expiry) fall where they fell in the
simulation, and the ``X-Event-Position`` header of each answer tells the reconciliation the
order in which the server decided the writes.
"""

from __future__ import annotations

from collections.abc import Mapping

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
from loadtests.reference_api.routes import ROUTES


class ReferenceAdapter(Adapter):
    """``omnicanal serve``: reset to the run's stock first, read ``/admin/state`` at the end."""

    name = "reference"

    def request(self, step: Step, ids: Ids) -> Request | None:
        route = ROUTES[step.kind]
        path, body = route.render(step.kind, step.data)
        headers = {"X-Sim-Time": repr(float(step.t))}
        if route.method == "POST":
            headers |= self.auth
        return Request(step.kind, route.method, path, body, headers)

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
