"""The token-protected back office: the whole state, and the reset a replay starts with."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from loadtests.reference_api.bodies import Reset
from loadtests.reference_api.dependencies import Served, Write
from loadtests.reference_api.writes import POSITION
from simulation.domain.backend import Backend
from simulation.domain.orders import OrderState

router = APIRouter()


@router.post("/admin/reset")
def reset(body: Reset, state: Served, _: Write) -> JSONResponse:
    """Start again from ``stock`` (a run's initial stock), so a replay starts where it did.

    The store is append-only: a reset starts a new epoch (its marker, then the stock, in one
    transaction) and the API folds only the current epoch; every earlier event is kept.
    """
    epoch = state.reset(body.stock)
    return JSONResponse({"epoch": epoch.number, "position": epoch.position})


@router.get("/admin/state")
def admin_state(state: Served, _: Write) -> JSONResponse:
    """Every stock line and order of the current epoch, at the store position in ``events``."""

    def read(backend: Backend) -> dict[str, Any]:
        stock = [
            {"location": loc, "sku": sku, "on_hand": s.on_hand, "reserved": s.reserved_total}
            for (loc, sku), s in sorted(backend.stock.items())
        ]
        orders = [_order_json(oid, o) for oid, o in sorted(backend.orders.items())]
        return {"stock": stock, "orders": orders}

    body, position = state.view(read)
    answer = {**body, "events": position}
    return JSONResponse(answer, headers={POSITION: str(position)})


def _order_json(order_id: int, order: OrderState) -> dict[str, Any]:
    legs = [
        {"location": leg.location, "mode": leg.mode.value, "status": leg.status.value}
        for leg in order.legs
    ]
    return {
        "order": order_id, "paid": order.paid, "refunded": order.refunded,
        "cancelled": order.cancelled, "legs": legs,
    }  # fmt: skip
