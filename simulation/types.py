"""Shared aliases: the ids the domain, the engine, the log and the replay all speak.

Location and sku ids are short strings from the scenario file (``"WH1"``, ``"S03"``,
``"SKU0042"``); customer, cart and order ids are integers, issued by whoever sends the
command (the engine, or the reference API), never by the domain itself.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NewType

SimTime = NewType("SimTime", float)
"""Simulated minutes since the scenario start."""

CustomerId = NewType("CustomerId", int)
CartId = NewType("CartId", int)
OrderId = NewType("OrderId", int)
LocationId = NewType("LocationId", str)
SkuId = NewType("SkuId", str)

MINUTES_PER_HOUR = 60.0
MINUTES_PER_DAY = 1440.0


class Channel(StrEnum):
    """A touchpoint where a customer meets the retailer."""

    INSTAGRAM = "instagram"
    WEB = "web"
    APP = "app"
    STORE = "store"
    EMAIL = "email"
    CHAT = "chat"
    MARKETPLACE = "marketplace"
    PHONE = "phone"

    @property
    def is_physical(self) -> bool:
        """True for the store floor, where the customer takes the unit off the shelf."""
        return self is Channel.STORE


class FulfilmentMode(StrEnum):
    """How one leg of an order reaches the customer."""

    HOME_DELIVERY = "home_delivery"
    """Shipped from a warehouse or dark store to the customer's address."""
    SHIP_FROM_STORE = "ship_from_store"
    """Picked in a store, shipped to the customer's address."""
    CLICK_AND_COLLECT = "click_and_collect"
    """Held in a store until the customer picks it up, or the hold expires."""
    ENDLESS_AISLE = "endless_aisle"
    """Ordered in a store, delivered from elsewhere."""
    CARRY_OUT = "carry_out"
    """Bought on the store floor and taken away at once."""

    @property
    def is_pickup(self) -> bool:
        return self is FulfilmentMode.CLICK_AND_COLLECT


class ReturnMode(StrEnum):
    """Where a returned unit comes back."""

    STORE = "store"
    MAIL = "mail"
