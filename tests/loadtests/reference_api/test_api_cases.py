"""The domain's given/when/then cases, run again over HTTP against the reference API.

Each command becomes the request an adapter would send (``X-Sim-Time`` carries its time);
the answer must be exactly the events the in-process backend produces, or a problem whose
``rule`` names the same refusal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loadtests.reference_api.app import create_app
from loadtests.reference_api.state import event_json
from simulation.domain import commands as c
from tests.domain_cases import CASES, Case

TOKEN = "test-token"


def request_for(command: c.Command) -> tuple[str, dict[str, Any]]:
    """The path and JSON body that carry ``command``."""
    match command:
        case c.ReceiveStock():
            return "/admin/stock", {
                "location": command.location,
                "sku": command.sku,
                "qty": command.qty,
            }
        case c.SetSafetyStock():
            return "/admin/safety", {
                "location": command.location,
                "sku": command.sku,
                "level": command.level,
            }
        case c.FenceStock():
            return "/admin/fence", {
                "location": command.location,
                "sku": command.sku,
                "channel": command.channel,
                "level": command.level,
            }
        case c.WriteOffStock():
            return "/admin/write-off", {
                "location": command.location,
                "sku": command.sku,
                "qty": command.qty,
                "reason": command.reason,
            }
        case c.TransferStock():
            return "/admin/transfer", {
                "location": command.location,
                "to": command.to,
                "sku": command.sku,
                "qty": command.qty,
            }
        case c.OpenCart():
            return "/carts", {
                "customer": command.customer,
                "cart": command.cart,
                "channel": command.channel,
            }
        case c.AddToCart():
            return f"/carts/{command.cart}/items", {
                "sku": command.sku,
                "qty": command.qty,
                "unit_price": command.unit_price,
                "reserve_at": command.reserve_at,
                "ttl": command.ttl,
            }
        case c.RemoveFromCart():
            return f"/carts/{command.cart}/items/{command.sku}/remove", {"qty": command.qty}
        case c.MoveCart():
            return f"/carts/{command.cart}/move", {"channel": command.channel}
        case c.AbandonCart():
            return f"/carts/{command.cart}/abandon", {"reason": command.reason}
        case c.ExpireReservations():
            return f"/carts/{command.cart}/expire", {}
        case c.PlaceOrder():
            legs = [
                {
                    "location": leg.location,
                    "mode": leg.mode,
                    "lines": [{"sku": line.sku, "qty": line.qty} for line in leg.lines],
                }
                for leg in command.legs
            ]
            return "/orders", {"order": command.order, "cart": command.cart, "legs": legs}
        case c.CapturePayment():
            return f"/orders/{command.order}/payment", {"amount": command.amount}
        case c.CancelOrder():
            return f"/orders/{command.order}/cancel", {"reason": command.reason}
        case c.PlaceHold():
            return f"/orders/{command.order}/legs/{command.location}/hold", {
                "hold_minutes": command.hold_minutes
            }
        case c.PlaceBackorder():
            return "/backorders", {
                "customer": command.customer, "order": command.order, "channel": command.channel,
                "location": command.location, "sku": command.sku, "qty": command.qty,
                "unit_price": command.unit_price, "mode": command.mode,
            }  # fmt: skip
        case c.FillBackorder():
            return f"/backorders/{command.order}/fill", {}
        case c.ReturnItems():
            return f"/orders/{command.order}/returns", {
                "sku": command.sku,
                "qty": command.qty,
                "location": command.location,
                "mode": command.return_mode,
                "restock": command.restock,
            }
    actions = {
        c.ShipLeg: "ship",
        c.DeliverLeg: "deliver",
        c.HandOverLeg: "handover",
        c.PickUpLeg: "pickup",
        c.ExpireHold: "expire",
    }
    action = actions[type(command)]
    return f"/orders/{command.order}/legs/{command.location}/{action}", {}  # type: ignore[attr-defined]


def send(client: TestClient, command: c.Command) -> Any:
    path, body = request_for(command)
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Sim-Time": str(command.at)}  # type: ignore[attr-defined]
    return client.post(
        path, content=json.dumps(body), headers={**headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_over_http(case: Case) -> None:
    client = TestClient(create_app(token=TOKEN))
    for command in case.given:
        given = send(client, command)
        assert given.status_code == 200, given.text
    answer = send(client, case.when)
    if isinstance(case.then, list):
        assert answer.status_code == 200, answer.text
        expected = json.loads(json.dumps([event_json(e) for e in case.then]))
        assert answer.json()["events"] == expected
        return
    assert answer.status_code in {404, 409}, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["rule"] == case.then.rule
    for key, value in case.context.items():
        assert problem["context"][key] == json.loads(json.dumps(value)), key
