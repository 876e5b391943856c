"""The JSON bodies of the API's writes, strict and bounded (see :mod:`fields`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from loadtests.reference_api.fields import (
    Flag,
    Id,
    Level,
    Minutes,
    Money,
    Name,
    Price,
    Text,
    Units,
)
from simulation.types import Channel, FulfilmentMode, ReturnMode


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewCart(Body):
    customer: Id
    cart: Id
    channel: Channel


class NewItem(Body):
    sku: Name
    qty: Units
    unit_price: Price
    reserve_at: Name | None = None
    ttl: Minutes = 30.0


class Quantity(Body):
    qty: Units


class Move(Body):
    channel: Channel


class Reason(Body):
    reason: Text = "customer"


class LineBody(Body):
    sku: Name
    qty: Units


class LegBody(Body):
    location: Name
    mode: FulfilmentMode
    lines: list[LineBody] = Field(min_length=1, max_length=1000)


class NewOrder(Body):
    order: Id
    cart: Id
    legs: list[LegBody] = Field(min_length=1, max_length=1000)


class Payment(Body):
    amount: Money


class Hold(Body):
    hold_minutes: Minutes


class NewReturn(Body):
    sku: Name
    qty: Units
    location: Name
    mode: ReturnMode
    restock: Flag = True


class NewBackorder(Body):
    customer: Id
    order: Id
    channel: Channel
    location: Name
    sku: Name
    qty: Units
    unit_price: Price
    mode: FulfilmentMode = FulfilmentMode.HOME_DELIVERY


class Receipt(Body):
    location: Name
    sku: Name
    qty: Units


class Reset(Body):
    stock: list[Receipt] = Field(max_length=1_000_000)


class SafetyLevel(Body):
    location: Name
    sku: Name
    level: Level


class Fence(SafetyLevel):
    channel: Channel


class WriteOff(Receipt):
    reason: Text


class Transfer(Receipt):
    to: Name
