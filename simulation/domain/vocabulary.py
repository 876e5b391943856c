"""The command vocabulary: every kind of request a journey makes, in one table.

A :class:`Kind` is one row: its ``name`` (the replay's step kind, a mapping's key, the
reference API's route name), its ``role``, who issues it (``actor``), and the class whose
instances are recorded for it. Everything that speaks of commands is built from :data:`KINDS`:
the engine's recording (``commands.parquet``), the replay's steps, the reference adapter, the
reference API's routes, and the tests. Adding a command is its row here plus its rule in the
domain (a decider) and, for the reference API, its route.

Roles:

- ``write``: a domain :class:`~simulation.domain.commands.Command` (open a cart, pay, ship...);
  the backend decides it, and its events (or its refusal) are the answer.
- ``read``: a question that changes nothing (browse, check stock); recorded from the event the
  engine notes for it (:class:`~simulation.domain.events.TouchpointVisited`,
  :class:`~simulation.domain.events.StockChecked`), and sent by the replay as a read.
- ``note``: what a customer did that no backend is told of (arrive, leave, lose a sale);
  recorded from its event so that the journey is whole, never sent.

A kind's payload is its record's fields but the time (``at`` or ``t``); :meth:`Kind.payload_of`
gives them as JSON values and :meth:`Kind.command_from` builds a write's command back from
such values, checking each field (a :class:`MalformedCommand` names it).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from simulation.domain import commands as c
from simulation.domain import events as e
from simulation.domain.commands import Command, Leg, LegLine
from simulation.domain.errors import MalformedCommand
from simulation.domain.events import Event
from simulation.types import FulfilmentMode, LocationId, SimTime, SkuId

Role = Literal["write", "read", "note"]
Actor = Literal["customer", "back_office"]
TIME_FIELDS = frozenset({"at", "t"})
"""The record fields that hold the time: a row's ``t``, never part of its payload."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of request: what it is called, what it does, what it carries.

    ``record`` is a :class:`Command` subclass for a write, the :class:`Event` the engine
    notes for a read or a note. ``fields`` are the payload's names, in the record's order.
    """

    name: str
    role: Role
    actor: Actor
    record: type[Command] | type[Event]
    doc: str
    creates: str | None = None
    """The aggregate a write creates ("cart" or "order"), named by the payload field of its
    id: a later step about it needs it."""
    fields: tuple[str, ...] = field(init=False)
    _convert: dict[str, Callable[[str, Any], Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        record: Any = self.record
        names = tuple(f.name for f in dataclasses.fields(record) if f.name not in TIME_FIELDS)
        hints = typing.get_type_hints(self.record)
        object.__setattr__(self, "fields", names)
        object.__setattr__(self, "_convert", {n: _converter(hints[n]) for n in names})

    @property
    def command(self) -> type[Command] | None:
        """The domain command of a write; None for a read or a note."""
        return self.record if self.role == "write" else None  # type: ignore[return-value]

    @property
    def sent(self) -> bool:
        """True for what the replay sends to a target: writes and reads."""
        return self.role != "note"

    def payload_of(self, record: Command | Event) -> dict[str, Any]:
        """The record's payload as JSON values (enums as their values, legs as dicts);
        fields that are None are left out."""
        out: dict[str, Any] = {}
        for name in self.fields:
            value = getattr(record, name)
            if value is not None:
                out[name] = _plain(value)
        return out

    def command_from(self, at: float, payload: Mapping[str, Any]) -> Command:
        """The write's command at ``at`` from JSON values; a missing, unknown or ill-typed
        field raises :class:`MalformedCommand` naming it (``Kind.field``)."""
        command: Any = self.command
        if command is None:
            raise MalformedCommand(f"{self.name}", "a write (a read or a note has no command)", at)
        unknown = sorted(set(payload) - set(self.fields))
        if unknown:
            raise MalformedCommand(f"{self.name}.{unknown[0]}", f"one of {self.fields}", unknown[0])
        values = {
            name: self._convert[name](f"{self.name}.{name}", value)
            for name, value in payload.items()
            if value is not None
        }
        try:
            made: Command = command(at=SimTime(float(at)), **values)
        except TypeError as error:  # a required field is missing
            missing = next((n for n in self.fields if n not in values), "?")
            raise MalformedCommand(f"{self.name}.{missing}", "a value", None) from error
        return made


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Leg | LegLine):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


# ---------------------------------------------------------------- JSON values -> fields


def _whole(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedCommand(where, "a whole number", value)
    return value


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedCommand(where, "a number", value)
    return float(value) if isinstance(value, int) else value


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedCommand(where, "a string", value)
    return value


def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise MalformedCommand(where, "true or false", value)
    return value


def _enum(kind: type[Enum]) -> Callable[[str, Any], Any]:
    def convert(where: str, value: Any) -> Any:
        try:
            return kind(value)
        except ValueError:
            raise MalformedCommand(where, f"one of {[m.value for m in kind]}", value) from None

    return convert


def _legs(where: str, value: Any) -> tuple[Leg, ...]:
    if not isinstance(value, list | tuple):
        raise MalformedCommand(where, "a list of legs", value)
    mode = _enum(FulfilmentMode)
    legs = []
    for i, leg in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(leg, Mapping) or set(leg) != {"location", "mode", "lines"}:
            raise MalformedCommand(at, "{location, mode, lines}", leg)
        lines = leg["lines"]
        if not isinstance(lines, list | tuple):
            raise MalformedCommand(f"{at}.lines", "a list of {sku, qty}", lines)
        legs.append(
            Leg(
                location=LocationId(_text(f"{at}.location", leg["location"])),
                mode=mode(f"{at}.mode", leg["mode"]),
                lines=tuple(_line(f"{at}.lines[{j}]", line) for j, line in enumerate(lines)),
            )
        )
    return tuple(legs)


def _line(where: str, line: Any) -> LegLine:
    if not isinstance(line, Mapping) or set(line) != {"sku", "qty"}:
        raise MalformedCommand(where, "{sku, qty}", line)
    sku = SkuId(_text(f"{where}.sku", line["sku"]))
    return LegLine(sku=sku, qty=_whole(f"{where}.qty", line["qty"]))


def _converter(hint: Any) -> Callable[[str, Any], Any]:
    """How a JSON value becomes a field of this type hint (``X | None``: as X)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    base = args[0] if len(args) == 1 and type(None) in typing.get_args(hint) else hint
    base = getattr(base, "__supertype__", base)  # a NewType: its underlying type
    if isinstance(base, type) and issubclass(base, Enum):
        return _enum(base)
    if typing.get_origin(base) is tuple:
        return _legs
    return {bool: _flag, int: _whole, float: _number, str: _text}[base]


# ---------------------------------------------------------------- the table


def _w(
    name: str, actor: Actor, record: type[Command], doc: str, creates: str | None = None
) -> Kind:
    return Kind(name, "write", actor, record, doc, creates)


KINDS: tuple[Kind, ...] = (
    # a customer's writes
    _w("open_cart", "customer", c.OpenCart, "open a cart in a channel", creates="cart"),
    _w("add_to_cart", "customer", c.AddToCart, "add units to a cart, maybe reserving them"),
    _w("remove_from_cart", "customer", c.RemoveFromCart, "take units out of a cart"),
    _w("move_cart", "customer", c.MoveCart, "carry a cart over to another channel"),
    _w("abandon", "customer", c.AbandonCart, "leave a cart, releasing its reservations"),
    _w("checkout", "customer", c.PlaceOrder, "turn a cart into sourced legs", creates="order"),
    _w("pay", "customer", c.CapturePayment, "pay an order"),
    _w("cancel", "customer", c.CancelOrder, "cancel an order before it leaves"),
    _w("pick_up", "customer", c.PickUpLeg, "collect a click & collect leg at the desk"),
    _w("hand_over", "customer", c.HandOverLeg, "take a carry-out leg at the store counter"),
    _w("return", "customer", c.ReturnItems, "send units of a received order back"),
    _w("backorder", "customer", c.PlaceBackorder, "order units not in stock", creates="order"),
    # the back office's writes
    _w("expire_cart", "back_office", c.ExpireReservations, "release a cart's due reservations"),
    _w("ship", "back_office", c.ShipLeg, "hand a delivery leg to the carrier"),
    _w("deliver", "back_office", c.DeliverLeg, "the carrier delivers a leg"),
    _w("hold", "back_office", c.PlaceHold, "hold a click & collect leg at the desk"),
    _w("expire_hold", "back_office", c.ExpireHold, "end a hold nobody collected"),
    _w("fill_backorder", "back_office", c.FillBackorder, "give arrived stock to a backorder"),
    _w("receive_stock", "back_office", c.ReceiveStock, "stock arrives at a location"),
    _w("transfer", "back_office", c.TransferStock, "send stock to another location"),
    _w("write_off", "back_office", c.WriteOffStock, "take damaged or lost stock off the books"),
    _w("set_safety", "back_office", c.SetSafetyStock, "set a location's safety stock of a sku"),
    _w("fence", "back_office", c.FenceStock, "ring-fence units for one channel"),
    # reads and notes, recorded from the event the engine notes for them
    Kind(
        "browse", "read", "customer", e.TouchpointVisited, "look at a touchpoint (reason: the step)"
    ),
    Kind("check_stock", "read", "customer", e.StockChecked, "ask what a location has (qty: shown)"),
    Kind("arrive", "note", "customer", e.CustomerArrived, "a visit begins"),
    Kind("leave", "note", "customer", e.CustomerLeft, "a visit ends (reason: why)"),
    Kind("lose_sale", "note", "customer", e.SaleLost, "demand that left unserved"),
    Kind("touch", "note", "customer", e.CampaignTouched, "a campaign brought the visit (reason)"),
    Kind("promise", "note", "back_office", e.DeliveryPromised, "a leg's promised date (until)"),
    Kind("answer_survey", "note", "customer", e.SurveyAnswered, "a survey answer (reason, qty)"),
    Kind("churn", "note", "customer", e.CustomerChurned, "a customer decides not to come back"),
    Kind("enrol", "note", "customer", e.LoyaltyEnrolled, "join the loyalty programme"),
    Kind("earn_points", "note", "customer", e.PointsEarned, "loyalty points on a paid order"),
    Kind("redeem_points", "note", "customer", e.PointsRedeemed, "points spent at checkout"),
)
"""Every kind, customers' writes first, then the back office's, then reads and notes."""

BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
BY_RECORD: dict[type, Kind] = {k.record: k for k in KINDS}
"""The kind of each recorded class: a command class, or the event class of a read or note."""
BY_COMMAND: dict[type[Command], Kind] = {
    k.record: k  # type: ignore[misc]
    for k in KINDS
    if k.role == "write"
}
WRITES = frozenset(k.name for k in KINDS if k.role == "write")
READS = frozenset(k.name for k in KINDS if k.role == "read")
NOTES = frozenset(k.name for k in KINDS if k.role == "note")
