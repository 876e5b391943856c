"""Where each kind of request goes in the reference API: one row per write and read kind.

A :class:`Route` is a method and a path whose ``{placeholders}`` are payload fields of its
kind (:data:`simulation.domain.vocabulary.KINDS`), plus the payload fields sent in the query
string; every other payload field goes in the JSON body, under the command's own field name.
The API's endpoints are generated from this table and the vocabulary, and a client renders
its requests from it (:meth:`Route.render`), so the two cannot disagree. Adding a command is
its row in the vocabulary, its route here and its rule in the domain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlencode

from simulation.domain.vocabulary import BY_NAME, Kind

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    method: Literal["GET", "POST"]
    path: str
    query: tuple[str, ...] = ()

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The payload fields in the path, in order."""
        return tuple(_PLACEHOLDER.findall(self.path))

    @property
    def in_url(self) -> frozenset[str]:
        """The payload fields the path and the query carry; the body carries the others."""
        return frozenset(self.placeholders) | frozenset(self.query)

    def body_fields(self, kind: Kind) -> tuple[str, ...]:
        """The payload fields of ``kind`` sent in the JSON body (none for a read)."""
        if kind.role != "write":
            return ()
        return tuple(f for f in kind.fields if f not in self.in_url)

    def render(self, kind: Kind, payload: Mapping[str, Any]) -> Request:
        """The request that carries ``payload`` (JSON values, as ``Kind.payload_of`` gives)."""
        try:
            path = _PLACEHOLDER.sub(lambda m: quote(str(payload[m[1]]), safe=""), self.path)
        except KeyError as missing:
            raise ValueError(f"{kind.name}: the path {self.path} needs {missing}") from None
        query = {name: payload[name] for name in self.query if payload.get(name) is not None}
        url = f"{path}?{urlencode(query)}" if query else path
        fields = self.body_fields(kind)
        body = {f: payload[f] for f in fields if payload.get(f) is not None} if fields else None
        return Request(self.method, url, body)


@dataclass(frozen=True, slots=True)
class Request:
    """A rendered request: method, path with its query string, JSON body (None: no body)."""

    method: str
    url: str
    body: dict[str, Any] | None


def _leg(action: str) -> Route:
    return Route("POST", f"/orders/{{order}}/legs/{{location}}/{action}")


ROUTES: Mapping[str, Route] = {
    # a customer's writes
    "open_cart": Route("POST", "/carts"),
    "add_to_cart": Route("POST", "/carts/{cart}/items"),
    "remove_from_cart": Route("POST", "/carts/{cart}/items/{sku}/remove"),
    "move_cart": Route("POST", "/carts/{cart}/move"),
    "abandon": Route("POST", "/carts/{cart}/abandon"),
    "checkout": Route("POST", "/orders"),
    "pay": Route("POST", "/orders/{order}/payment"),
    "cancel": Route("POST", "/orders/{order}/cancel"),
    "pick_up": _leg("pickup"),
    "hand_over": _leg("handover"),
    "return": Route("POST", "/orders/{order}/returns"),
    "backorder": Route("POST", "/backorders"),
    # the back office's writes
    "expire_cart": Route("POST", "/carts/{cart}/expire"),
    "ship": _leg("ship"),
    "deliver": _leg("deliver"),
    "hold": _leg("hold"),
    "expire_hold": _leg("expire"),
    "fill_backorder": Route("POST", "/backorders/{order}/fill"),
    "receive_stock": Route("POST", "/admin/stock"),
    "transfer": Route("POST", "/admin/transfer"),
    "write_off": Route("POST", "/admin/write-off"),
    "set_safety": Route("POST", "/admin/safety"),
    "fence": Route("POST", "/admin/fence"),
    # reads
    "browse": Route("GET", "/catalogue"),
    "check_stock": Route("GET", "/stock/{location}/{sku}", query=("channel",)),
}
"""The route of every write and read kind, by the kind's name."""


def _check(routes: Mapping[str, Route]) -> None:
    sent = {k.name for k in BY_NAME.values() if k.sent}
    if set(routes) != sent:
        raise TypeError(
            f"ROUTES: expected a route for each of {sorted(sent)}, got {sorted(routes)}"
        )
    for name, route in routes.items():
        stray = route.in_url - set(BY_NAME[name].fields)
        if stray:
            raise TypeError(f"ROUTES[{name!r}]: {sorted(stray)} are not fields of {name}")
        if (route.method == "GET") != (BY_NAME[name].role == "read"):
            raise TypeError(f"ROUTES[{name!r}]: a write is a POST, a read a GET")


_check(ROUTES)
