"""A declarative adapter: a TOML file that says, per step, which request to send.

Point the replay at another API without writing Python::

    [headers]                      # sent with every request; {token} is the API token
    Authorization = "Bearer {token}"

    [steps.open_cart]
    method = "POST"
    path = "/carts"
    body = { customer = "{customer}", channel = "{channel}" }
    capture = { cart = "id" }      # the target's id of this cart is the answer's "id"

    [steps.add_to_cart]
    method = "POST"
    path = "/carts/{cart}/items"   # {cart} is the target's id, captured above
    body = { sku = "{sku}", quantity = "{qty}" }

A template string that is exactly ``"{name}"`` becomes the step's value with its type (a
number stays a number, the legs of a checkout stay a list); ``"{name?}"`` drops the key when
the step has no such value; any other string is formatted. Placeholders are the step's data
(see ``loadtests.journeys``), ``t`` (simulated minutes), ``token``, and ``initial`` (the
initial stock as a list of {location, sku, qty}, in ``[prepare]``). A step that is not listed
is skipped and counted. ``[prepare]`` resets the target (otherwise its stock is read with
``[stock_check]`` and the replay refuses to start when it differs from the scenario), and
``[state]`` tells how to read the final stock and orders. ``loadtests/adapters/reference.toml``
describes the reference API this way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loadtests.adapters.base import (
    Adapter,
    Answer,
    Ids,
    ReplayRefused,
    Request,
    TargetState,
    check_stock,
)
from loadtests.journeys import SENT, Step
from simulation.errors import InputError

STEP_KINDS = SENT
_WHOLE = re.compile(r"^\{(\w+)(\??)\}$")
_PART = re.compile(r"\{(\w+)\}")
_IDS = ("cart", "order", "customer")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepMapping(_Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str = Field(pattern=r"^/")
    body: dict[str, Any] | None = None
    capture: dict[Literal["cart", "order", "customer"], str] = Field(default_factory=dict)
    """Ids the target gave: kind -> dotted path into the answer's JSON."""


class Call(_Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field(pattern=r"^/")
    body: dict[str, Any] | None = None


class StockCheck(_Strict):
    path: str = Field(pattern=r"^/")
    """Read one (location, sku), e.g. "/stock/{location}/{sku}"."""
    on_hand: str = "on_hand"


class StateMapping(Call):
    stock: str = "stock"
    """Dotted path of the list of stock rows in the answer."""
    stock_fields: dict[Literal["location", "sku", "on_hand", "reserved"], str] = Field(
        default_factory=lambda: {k: k for k in ("location", "sku", "on_hand", "reserved")}
    )
    orders: str | None = None
    """Dotted path of the list of orders (omit if the target cannot list them)."""
    order_fields: dict[Literal["order", "paid", "refunded", "cancelled"], str] = Field(
        default_factory=lambda: {k: k for k in ("order", "paid", "refunded", "cancelled")}
    )


class MappingFile(_Strict):
    name: str = "mapping"
    headers: dict[str, str] = Field(default_factory=dict)
    sim_time_header: str | None = None
    """Send each step's simulated time (minutes) in this header, e.g. "X-Sim-Time"."""
    order_header: str | None = None
    """A response header that orders the target's writes (e.g. an event position)."""
    steps: dict[str, StepMapping]
    prepare: Call | None = None
    stock_check: StockCheck | None = None
    state: StateMapping | None = None


def _fill(template: Any, values: Mapping[str, Any]) -> Any:
    """Fill a body template: whole placeholders keep their type, others are formatted."""
    if isinstance(template, dict):
        out = {}
        for key, part in template.items():
            whole = _WHOLE.match(part) if isinstance(part, str) else None
            if whole and whole.group(2) and values.get(whole.group(1)) is None:
                continue
            out[key] = _fill(part, values)
        return out
    if isinstance(template, list):
        return [_fill(x, values) for x in template]
    if isinstance(template, str):
        whole = _WHOLE.match(template)
        if whole:
            return values.get(whole.group(1))
        return _PART.sub(lambda m: str(values.get(m.group(1), "")), template)
    return template


def dig(body: Any, path: str) -> Any:
    """The value at a dotted path ("data.id", "items.0.qty") of a JSON answer, or None."""
    for part in path.split(".") if path else ():
        if isinstance(body, dict):
            body = body.get(part)
        elif isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        else:
            return None
    return body


class MappingAdapter(Adapter):
    """An adapter described by a TOML file (see the module's documentation)."""

    def __init__(self, mapping: MappingFile, token: str | None = None) -> None:
        super().__init__(token)
        self.mapping = mapping
        self.name = mapping.name

    @classmethod
    def load(cls, path: Path, token: str | None = None) -> MappingAdapter:
        """Read and check a mapping file; errors name the file and the field."""
        try:
            raw = tomllib.loads(path.read_text())
        except OSError as error:
            raise InputError(str(path), "a readable TOML file", str(error)) from None
        except tomllib.TOMLDecodeError as error:
            raise InputError(str(path), "valid TOML", str(error)) from None
        try:
            mapping = MappingFile.model_validate(raw)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(f"{path}: {where}", first["msg"], repr(first.get("input"))) from None
        unknown = sorted(set(mapping.steps) - STEP_KINDS)
        if unknown:
            raise InputError(
                f"{path}: steps.{unknown[0]}",
                f"a step kind, one of {sorted(STEP_KINDS)}",
                unknown[0],
            )
        return cls(mapping, token)

    def _values(self, step: Step, ids: Ids) -> dict[str, Any]:
        values = dict(step.data) | {"t": step.t, "token": self._token or ""}
        for kind in _IDS:
            if values.get(kind) is not None:
                values[kind] = ids.of(kind, int(values[kind]))
        return values

    def _headers(self, values: Mapping[str, Any], step: Step | None = None) -> dict[str, str]:
        headers = {
            k: str(_fill(v, values))
            for k, v in self.mapping.headers.items()
            if self._token or "{token}" not in v  # no token: no header that would carry it
        }
        if step is not None and self.mapping.sim_time_header:
            headers[self.mapping.sim_time_header] = repr(float(step.t))
        return headers

    def request(self, step: Step, ids: Ids) -> Request | None:
        spec = self.mapping.steps.get(step.kind)
        if spec is None:
            return None
        values = self._values(step, ids)
        body = _fill(spec.body, values) if spec.body is not None else None
        path = _fill(spec.path, values)
        return Request(step.kind, spec.method, path, body, self._headers(values, step))

    def learn(self, step: Step, answer: Answer, ids: Ids) -> None:
        spec = self.mapping.steps.get(step.kind)
        for kind, where in (spec.capture if spec else {}).items():
            found = dig(answer.body, where)
            if found is not None and step.data.get(kind) is not None:
                ids.learn(kind, int(step.data[kind]), found)

    def order_key(self, answer: Answer) -> float | None:
        if not self.mapping.order_header:
            return None
        value = answer.headers.get(self.mapping.order_header.lower())
        if value is None:
            return None
        return float(value) + (0.0 if 200 <= answer.status < 300 else 0.5)

    def _call(self, http: httpx.Client, call: Call, values: Mapping[str, Any]) -> httpx.Response:
        body = _fill(call.body, values) if call.body is not None else None
        try:
            return http.request(
                call.method, _fill(call.path, values), json=body, headers=self._headers(values)
            )
        except httpx.HTTPError as error:
            raise ReplayRefused(f"{call.method} {call.path}: no answer ({error})") from None

    def prepare(self, http: httpx.Client, initial: Mapping[tuple[str, str], int]) -> None:
        values: dict[str, Any] = {"token": self._token or ""}
        if self.mapping.prepare is not None:
            values["initial"] = [
                {"location": loc, "sku": sku, "qty": q} for (loc, sku), q in sorted(initial.items())
            ]
            answer = self._call(http, self.mapping.prepare, values)
            if not answer.is_success:
                raise ReplayRefused(
                    f"{self.mapping.prepare.method} {self.mapping.prepare.path} answered "
                    f"{answer.status_code}: {answer.text[:200]}"
                )
            return
        if self.mapping.stock_check is None:
            raise ReplayRefused(
                "the mapping has neither [prepare] nor [stock_check]: the replay cannot know "
                "the target starts from the scenario's stock"
            )
        check = self.mapping.stock_check
        found: dict[tuple[str, str], int] = {}
        for loc, sku in sorted(initial):
            answer = self._call(http, Call(path=check.path), values | {"location": loc, "sku": sku})
            if answer.is_success:
                found[loc, sku] = int(dig(answer.json(), check.on_hand) or 0)
        check_stock(found, initial)

    def final_state(self, http: httpx.Client) -> TargetState:
        spec = self.mapping.state
        if spec is None:
            return TargetState(None, None)
        answer = self._call(http, spec, {"token": self._token or ""})
        if not answer.is_success:
            raise ReplayRefused(f"{spec.method} {spec.path} answered {answer.status_code}")
        body = answer.json()
        f = spec.stock_fields
        stock = {
            (str(dig(r, f["location"])), str(dig(r, f["sku"]))): (
                int(dig(r, f["on_hand"]) or 0),
                int(dig(r, f["reserved"]) or 0),
            )
            for r in dig(body, spec.stock) or []
        }
        orders = None
        if spec.orders is not None:
            g = spec.order_fields
            orders = {
                int(dig(o, g["order"])): {
                    "paid": float(dig(o, g["paid"]) or 0.0),
                    "refunded": float(dig(o, g["refunded"]) or 0.0),
                    "cancelled": bool(dig(o, g["cancelled"])),
                }
                for o in dig(body, spec.orders) or []
            }
        return TargetState(stock, orders)
