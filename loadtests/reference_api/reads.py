"""The API's reads: open to anyone, each from the latest state of the store.

The read kinds of the vocabulary (``browse``, ``check_stock``) are served at their routes
(:data:`~loadtests.reference_api.routes.ROUTES`) by the function of the same name here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from loadtests.reference_api.dependencies import Served
from loadtests.reference_api.fields import NamePath
from loadtests.reference_api.routes import ROUTES
from loadtests.reference_api.writes import POSITION
from simulation.domain.backend import Backend
from simulation.types import Channel, LocationId, SkuId

router = APIRouter()


@router.get("/health")
def health(state: Served) -> dict[str, Any]:
    """Up, with the store's size and its current epoch."""
    return {"status": "ok", "events": state.store.last_position(), "epoch": state.epoch.number}


def check_stock(
    location: NamePath, sku: NamePath, state: Served, channel: Channel = Channel.WEB
) -> JSONResponse:
    """A sku's stock at a location, and what is available to ``channel``; the header
    ``X-Event-Position`` says which store position the answer is at."""
    state.screen.check_id("location", location, "location")
    state.screen.check_id("sku", sku, "sku")

    def read(backend: Backend) -> dict[str, Any]:
        level = backend.stock_level(LocationId(location), SkuId(sku))
        return {
            "location": location, "sku": sku, "on_hand": level.on_hand,
            "reserved": level.reserved_total, "available": level.available_to(channel),
            "channel": channel.value,
        }  # fmt: skip

    body, position = state.view(read)
    return JSONResponse(body, headers={POSITION: str(position)})


def browse(state: Served) -> list[dict[str, Any]]:
    """The skus on sale: id and price."""
    return state.screen.catalogue


@router.get("/locations")
def list_locations(state: Served) -> list[dict[str, Any]]:
    """Warehouses, stores and dark stores: id, kind, region, coordinates."""
    return state.screen.locations


READERS: dict[str, Callable[..., Any]] = {"browse": browse, "check_stock": check_stock}
for _name, _reader in READERS.items():
    _route = ROUTES[_name]
    router.add_api_route(
        _route.path, _reader, methods=[_route.method], name=_name, operation_id=_name
    )
