"""The reference API's route of each kind of the command vocabulary.

One table, read by the API (its endpoints) and by the reference adapter (its requests), so
the two can never disagree. A route's path names payload fields of its kind in braces
(``/carts/{cart}/items``); a read sends the fields in ``query`` as query parameters; a write's
JSON body is the rest of its payload, under the command's own field names. Every write and read
of :data:`simulation.domain.vocabulary.KINDS` has a route; notes have none (they are never
sent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlencode

from simulation.domain.vocabulary import BY_NAME

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    """How one kind is asked of the reference API."""

    method: Literal["GET", "POST"]
    path: str
    query: tuple[str, ...] = ()
    path_fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path_fields", tuple(_PLACEHOLDER.findall(self.path)))

    def render(self, kind: str, payload: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
        """The path (with its query) and the JSON body (None for a read or an empty body) for
        a step of ``kind`` carrying ``payload``."""
        path = self.path.format(**{k: quote(str(payload[k]), safe="") for k in self.path_fields})
        if self.method == "GET":
            asked = {k: payload[k] for k in self.query if payload.get(k) is not None}
            return path + (f"?{urlencode(asked)}" if asked else ""), None
        sent = set(self.path_fields)
        body = {k: v for k, v in payload.items() if k not in sent and k in BY_NAME[kind].fields}
        return path, body or None


ROUTES: dict[str, Route] = {
    "browse": Route("GET", "/catalogue"),
    "check_stock": Route("GET", "/stock/{location}/{sku}", query=("channel",)),
    "open_cart": Route("POST", "/carts"),
    "add_to_cart": Route("POST", "/carts/{cart}/items"),
    "remove_from_cart": Route("POST", "/carts/{cart}/items/{sku}/remove"),
    "move_cart": Route("POST", "/carts/{cart}/move"),
    "abandon": Route("POST", "/carts/{cart}/abandon"),
    "expire_cart": Route("POST", "/carts/{cart}/expire"),
    "checkout": Route("POST", "/orders"),
    "pay": Route("POST", "/orders/{order}/payment"),
    "cancel": Route("POST", "/orders/{order}/cancel"),
    "hold": Route("POST", "/orders/{order}/legs/{location}/hold"),
    "ship": Route("POST", "/orders/{order}/legs/{location}/ship"),
    "deliver": Route("POST", "/orders/{order}/legs/{location}/deliver"),
    "hand_over": Route("POST", "/orders/{order}/legs/{location}/handover"),
    "pick_up": Route("POST", "/orders/{order}/legs/{location}/pickup"),
    "expire_hold": Route("POST", "/orders/{order}/legs/{location}/expire"),
    "return": Route("POST", "/orders/{order}/returns"),
    "backorder": Route("POST", "/backorders"),
    "fill_backorder": Route("POST", "/backorders/{order}/fill"),
    "receive_stock": Route("POST", "/admin/stock"),
    "transfer": Route("POST", "/admin/transfer"),
    "write_off": Route("POST", "/admin/write-off"),
    "set_safety": Route("POST", "/admin/safety"),
    "fence": Route("POST", "/admin/fence"),
}
"""Every sent kind's route, by the kind's name."""
