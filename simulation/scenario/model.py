"""The scenario's pydantic models: every field, its bounds, and the checks across fields.

A scenario is a TOML file (see ``scenarios/baseline.toml``, commented line by line). It may
``extends = "other.toml"`` and override only what differs: tables merge key by key, arrays
are replaced. Every mistake becomes one :class:`~simulation.errors.InputError` naming the file,
the line where it can be found, the dotted field path, what was expected and what was given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import Field, PrivateAttr, model_validator

from simulation.policies.allocation import Allocation as AllocationPolicy
from simulation.policies.allocation import OnlineBuffer
from simulation.policies.fulfilment import FILTERS, SORTS, SPLITS, SourcingChain
from simulation.policies.registry import is_import_path
from simulation.scenario import references
from simulation.scenario.catalogue import Catalogue
from simulation.scenario.fields import (
    ChannelName,
    Kind,
    Model,
    NonNegative,
    Positive,
    Probability,
)
from simulation.scenario.loyalty import Loyalty
from simulation.scenario.satisfaction import Promises, Satisfaction

STEPS = (
    "discover", "research", "check_stock", "add_to_cart", "move_cart", "checkout",
    "come_back_later", "contact_service", "abandon", "leave",
)  # fmt: skip
DEFAULT_TRANSITIONS: dict[str, dict[str, float]] = {
    "discover": {"research": 0.45, "add_to_cart": 0.25, "check_stock": 0.1, "leave": 0.2},
    "research": {"add_to_cart": 0.45, "check_stock": 0.2, "research": 0.1, "leave": 0.25},
    "check_stock": {"add_to_cart": 0.55, "move_cart": 0.1, "leave": 0.35},
    "add_to_cart": {"checkout": 0.55, "move_cart": 0.1, "come_back_later": 0.15, "abandon": 0.2},
    "move_cart": {"checkout": 0.8, "abandon": 0.2},
    "checkout": {"leave": 1.0},
    "come_back_later": {"checkout": 0.45, "contact_service": 0.05, "abandon": 0.5},
    "contact_service": {"checkout": 0.5, "add_to_cart": 0.2, "leave": 0.3},
    "abandon": {"leave": 1.0},
    "leave": {"leave": 1.0},
}
"""Journey steps and their default transition probabilities (every row sums to 1)."""
MODES = ("home_delivery", "click_and_collect", "ship_from_store", "endless_aisle")
NO_STOCK = ("switch_channel", "substitute", "wait", "leave", "backorder")

_TOL = 1e-9


def _sums_to_one(values: Mapping[str, float], path: str) -> None:
    total = sum(values.values())
    if abs(total - 1.0) > _TOL:
        raise ValueError(f"{path}: expected probabilities summing to 1, got {total:.6g}")


class Region(Model):
    name: str
    """Name of the region, as locations refer to it."""
    x: float
    """East coordinate of the region's centre (km)."""
    y: float
    """North coordinate of the region's centre (km)."""
    weight: Positive = 1.0
    """Relative share of customers living here."""


class Location(Model):
    id: str = Field(min_length=1)
    """Unique id of the location (WH1, S01, ...), as the event log names it."""
    kind: Kind
    """warehouse, store or dark_store."""
    region: str = "all"
    """The region it belongs to (in-region sourcing filters use it)."""
    x: float = 0.0
    """East coordinate (km)."""
    y: float = 0.0
    """North coordinate (km)."""
    pick_capacity: Annotated[int, Field(gt=0)]
    """Units it can pick per day, across all orders."""
    pickers: Annotated[int, Field(gt=0)] = 2
    """Order legs picked at the same time."""
    pick_minutes: Positive = 30.0
    """Mean minutes to pick one order leg."""
    desk_servers: Annotated[int, Field(ge=0)] = 0
    """Click & collect pickup desk servers (0: no desk)."""
    desk_minutes: Positive = 3.0
    """Mean minutes to serve a customer at the pickup desk."""
    desk_service: Literal["exponential", "deterministic", "erlang2"] = "exponential"
    """Distribution of desk service times: exponential, deterministic or erlang2."""
    opens: Annotated[float, Field(ge=0, le=24)] = 9.0
    """Opening hour (0-24) of the store and its desk."""
    closes: Annotated[float, Field(ge=0, le=24)] = 21.0
    """Closing hour (0-24); after opens."""
    ship_from_store: bool = False
    """A store that may send parcels when a policy allows ship-from-store."""
    ship_cost: NonNegative = 5.0
    """Cost per unit shipped from here."""
    priority: int = 0
    """Rank for the 'priority' sourcing sort (higher first)."""

    @model_validator(mode="after")
    def _hours(self) -> Self:
        if self.closes <= self.opens:
            raise ValueError(
                f"closes: expected an hour after opens ({self.opens}), got {self.closes}"
            )
        return self


class Network(Model):
    regions: list[Region] = Field(default_factory=lambda: [Region(name="all", x=0, y=0)])
    """Where customers live; one region 'all' at the origin by default."""
    locations: list[Location] = Field(min_length=1)
    """Warehouses, stores and dark stores."""
    # Road distances (km) from each customer region to every location; regions not listed
    # use straight lines between coordinates.
    distances: dict[str, dict[str, NonNegative]] = Field(default_factory=dict)
    """Road distances (km) from each region to every location, replacing straight lines."""


class Btyd(Model):
    """Repeat visits as the BG/NBD model has them (Fader, Hardie & Lee 2005): while alive, a
    customer comes back as a Poisson process of rate ``lambda`` per day, and after each repeat
    visit drops out for good with probability ``p``; across the segment's customers ``lambda ~
    Gamma(r, rate alpha)`` and ``p ~ Beta(a, b)``, drawn once per customer."""

    r: Positive
    """Shape of the Gamma law of the visit rates."""
    alpha: Positive
    """Rate of that Gamma law, in days (the mean visit rate is r / alpha per day)."""
    a: Positive
    """First shape of the Beta law of the dropout probabilities."""
    b: Positive
    """Second shape of that Beta law (the mean dropout is a / (a + b) per repeat visit)."""


class Segment(Model):
    name: str = Field(min_length=1)
    """Name of the customer segment, as the log's segment column holds it."""
    share: Probability
    """Share of customers in this segment (shares sum to 1)."""
    channels: dict[ChannelName, NonNegative]
    """Weights of the channels this segment moves to when it switches channel."""
    basket_mean: Annotated[float, Field(ge=1.0)] = 1.5
    """Mean units in a basket (at least 1)."""
    step_minutes: Positive = 5.0
    """Mean minutes between two steps of a journey."""
    channel_switch: Probability = 0.2
    """Probability that a step happens in another channel."""
    return_rate: Probability = 0.1
    """Probability that an order leg the customer received is returned (some of its units)."""
    store_return_rate: Probability | None = None
    """The same for a purchase carried out of the store (default: return_rate): store buyers
    have tried the goods on, and return far less than online ones."""
    return_by_mail: Probability = 0.5
    """Share of returns sent by mail (the rest come back to a store)."""
    restock_rate: Probability = 0.9
    """Share of returned units restocked (the rest are written off)."""
    return_days: Positive = 7.0
    """Mean days from receipt to return."""
    pickup_delay_hours: Positive = 20.0
    """Mean hours from an order being held in store to the customer coming for it."""
    patience_minutes: Positive = 15.0
    """Mean minutes a customer waits in the desk queue before giving up."""
    pickup_attempts: Annotated[int, Field(ge=1)] = 3  # visits to the desk before giving up
    """Visits to the desk before giving up on a pickup."""
    repeat_rate: Probability = 0.1
    """Probability of another visit within the horizon."""
    repeat_days: Positive = 14.0
    """Mean days until that visit."""
    btyd: Btyd | None = None
    """Repeat visits by the BG/NBD law instead of repeat_rate and repeat_days (a table r,
    alpha, a, b)."""
    modes: dict[str, Probability] = Field(
        default_factory=lambda: {
            "home_delivery": 0.55,
            "click_and_collect": 0.3,
            "ship_from_store": 0.1,
            "endless_aisle": 0.05,
        }
    )
    """Fulfilment mode chosen at an online checkout: home_delivery, click_and_collect,
    ship_from_store, endless_aisle (sum to 1)."""
    no_stock: dict[str, Probability] = Field(
        default_factory=lambda: {
            "switch_channel": 0.25,
            "substitute": 0.25,
            "wait": 0.1,
            "leave": 0.4,
        }
    )
    """Reaction to missing stock: switch_channel, substitute, wait, leave, backorder (sum to 1;
    leave is a lost sale; backorder orders the units at the home store, delivered when stock
    arrives there)."""
    transitions: dict[str, dict[str, Probability]] = Field(default_factory=dict)
    """Journey steps: per step, the probabilities of the next step (rows sum to 1; unlisted
    rows keep the defaults)."""

    @model_validator(mode="after")
    def _distributions(self) -> Self:
        if sum(self.channels.values()) <= 0:
            raise ValueError(
                "channels: expected at least one channel with weight > 0, "
                f"got {dict(self.channels)}"
            )
        for name, table, allowed in (
            ("modes", self.modes, MODES),
            ("no_stock", self.no_stock, NO_STOCK),
        ):
            for key in table:
                if key not in allowed:
                    raise ValueError(f"{name}.{key}: expected one of {list(allowed)}, got {key!r}")
            _sums_to_one(table, name)
        for step, row in self.transitions.items():
            if step not in STEPS:
                raise ValueError(
                    f"transitions.{step}: expected a step in {list(STEPS)}, got {step!r}"
                )
            for target in row:
                if target not in STEPS:
                    raise ValueError(
                        f"transitions.{step}.{target}: expected a step in {list(STEPS)}, "
                        f"got {target!r}"
                    )
            _sums_to_one(row, f"transitions.{step}")
        return self

    def transition_rows(self) -> dict[str, dict[str, float]]:
        return {**DEFAULT_TRANSITIONS, **self.transitions}


class Campaign(Model):
    name: str
    """Name of the campaign."""
    kind: Literal["instagram_post", "email_blast", "black_friday", "tv", "promotion"] = "promotion"
    """instagram_post, email_blast, black_friday, tv or promotion."""
    start_day: NonNegative
    """Day the campaign starts (may be fractional)."""
    end_day: Positive
    """Day it ends (after start_day, at most horizon_days)."""
    multiplier: Positive
    """Arrival rate multiplier on its channels while it runs; overlapping campaigns add their
    uplifts (two of x3 make x5): each brings its own customers, counted as its own."""
    channels: list[ChannelName] = Field(min_length=1)
    """Channels whose arrivals it multiplies."""
    cost: NonNegative = 0.0
    """Fixed cost of the campaign, in currency units (creative, fees, a flat media buy)."""
    cost_per_visit: NonNegative = 0.0
    """Cost of each visit it brings, in currency units (a cost per click)."""

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.end_day <= self.start_day:
            raise ValueError(
                f"end_day: expected a day after start_day ({self.start_day}), got {self.end_day}"
            )
        return self


class Arrivals(Model):
    per_hour: Positive
    """Customers per hour at hour and weekday multipliers of 1."""
    channels: dict[ChannelName, NonNegative]
    """Weights of the first touchpoint of a visit."""
    hour_of_day: list[NonNegative] = Field(
        default_factory=lambda: [1.0] * 24, min_length=24, max_length=24
    )
    """24 multipliers, one per hour from 0h."""
    day_of_week: list[NonNegative] = Field(
        default_factory=lambda: [1.0] * 7, min_length=7, max_length=7
    )
    """7 multipliers, Monday first (day 0 of a run is a Monday)."""
    campaigns: list[Campaign] = Field(default_factory=list)
    """Campaigns that multiply arrivals on some channels for a while."""
    browse_only: dict[ChannelName, Probability] = Field(default_factory=dict)
    """Share of the visits arriving through each channel that only look: they see the first
    page (discover) and leave, reason ``browsed`` (a bounce); channels not listed: none."""


def _policy_default(policy: type, name: str) -> Any:
    """The default of a policy's field: the policy owns it, the scenario file reads it."""
    (field,) = [f for f in dataclasses.fields(policy) if f.name == name]
    return (
        field.default if field.default_factory is dataclasses.MISSING else field.default_factory()
    )


class Fulfilment(Model):
    kind: str = "chain"
    """chain (the filters, sorts and split below) or package.module:Class (a sourcing policy of
    your own, built from ``params``)."""
    filters: list[str] = Field(
        default_factory=lambda: list(_policy_default(SourcingChain, "filters"))
    )
    """Sourcing filters, in order: which locations may serve an order line."""
    sorts: list[str] = Field(default_factory=lambda: list(_policy_default(SourcingChain, "sorts")))
    """Sourcing sorts, in order: which eligible location first."""
    split: str = _policy_default(SourcingChain, "split")
    """none, fewest or at_most: how an order may be split across locations."""
    max_legs: Annotated[int, Field(ge=1)] = _policy_default(SourcingChain, "max_legs")
    """Most legs (locations) one order may be split into."""
    params: dict[str, float | str | bool] = Field(default_factory=dict)
    """package.module:Class only: the keyword arguments its class is built with."""

    @model_validator(mode="after")
    def _names(self) -> Self:
        _policy_name(("chain",))(self.kind)
        if self.kind != "chain":
            return self
        if self.params:
            raise ValueError(
                "params: expected none for kind = 'chain' "
                "(it takes filters, sorts, split and max_legs)"
            )
        for i, f in enumerate(self.filters):
            if f not in FILTERS:
                raise ValueError(f"filters[{i}]: expected one of {sorted(FILTERS)}, got {f!r}")
        for i, s in enumerate(self.sorts):
            if s not in SORTS:
                raise ValueError(f"sorts[{i}]: expected one of {sorted(SORTS)}, got {s!r}")
        if self.split not in SPLITS:
            raise ValueError(f"split: expected one of {list(SPLITS)}, got {self.split!r}")
        return self


def _policy_name(known: tuple[str, ...]) -> Any:
    def check(name: str) -> str:
        if name in known or is_import_path(name):
            return name
        raise ValueError(
            f"kind: expected one of {list(known)} or 'package.module:Class', got {name!r}"
        )

    return check


class Allocation(Model):
    kind: str = "pooled"
    """pooled, ring_fenced, online_buffer or package.module:Class."""
    reserve_at: Literal["cart", "order"] = _policy_default(AllocationPolicy, "reserve_at")
    """Reserve stock at add-to-cart (cart) or only at checkout (order)."""
    ttl_minutes: Positive = _policy_default(AllocationPolicy, "ttl")
    """How long a cart reservation holds."""
    hold_days: Positive = 3.0
    """How long a click & collect order waits in store before its hold expires."""
    fences: dict[ChannelName, Probability] = Field(default_factory=dict)
    """ring_fenced: share of each location's stock kept for each channel."""
    buffer: Annotated[int, Field(ge=0)] = _policy_default(OnlineBuffer, "buffer")
    """online_buffer: units per store and sku that online channels may not take."""

    @model_validator(mode="after")
    def _kind(self) -> Self:
        _policy_name(("pooled", "ring_fenced", "online_buffer"))(self.kind)
        if sum(self.fences.values()) > 1 + _TOL:
            raise ValueError(
                "fences: expected fractions summing to at most 1, "
                f"got {sum(self.fences.values()):.6g}"
            )
        return self


class Replenishment(Model):
    kind: str = "sS"
    """sS, RQ, base_stock, none or package.module:Class."""
    review_days: NonNegative = 1.0
    """Days between inventory reviews; 0 reviews continuously, at every change of a location's
    inventory position (a base-stock policy then orders one for one)."""
    transfers: bool = False  # a store short of a sku first pulls from the nearest store
    """A store short of a sku first pulls it from the nearest store with spare stock."""
    transfer_days: Positive = 0.5
    """Days a transfer between stores takes."""
    params: dict[Kind, dict[str, float]] = Field(default_factory=dict)
    """The policy's parameters by location kind, e.g. {store = {s = 2, S = 6}}."""

    @model_validator(mode="after")
    def _kind(self) -> Self:
        _policy_name(("sS", "RQ", "base_stock", "none"))(self.kind)
        return self


class Policies(Model):
    fulfilment: Fulfilment = Field(default_factory=Fulfilment)
    """Order sourcing."""
    allocation: Allocation = Field(default_factory=Allocation)
    """How channels share stock."""
    replenishment: Replenishment = Field(default_factory=Replenishment)
    """How locations reorder."""


class Carriers(Model):
    ship_days_mean: Positive = 2.0
    """Mean days a parcel takes (lognormal)."""
    ship_days_sd: NonNegative = 0.5
    """Standard deviation of those days."""


class Lifetime(Model):
    """How customer lifetime value is counted (the ``cltv`` KPIs): over how many days after the
    run, and at what yearly discount rate."""

    days: Positive = 365.0
    """Days after the run over which a buyer's expected purchases count."""
    discount_rate: Annotated[float, Field(ge=0, le=1)] = 0.10
    """Yearly rate a future margin is discounted at (0.10: a margin a year away is worth 1/1.1)."""


class Scenario(Model):
    """A validated scenario: every field has been checked, every reference resolved."""

    name: str = "scenario"
    """Name of the scenario (default: the file name)."""
    description: str = ""
    """One line saying what the scenario asks."""
    extends: str | None = None
    """Another scenario file this one starts from (relative to this file)."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Default root seed (omnicanal run --seed overrides it)."""
    horizon_days: Positive
    """Simulated days."""
    warmup_days: NonNegative = 0.0
    """Days logged but left out of the KPIs."""
    network: Network
    """Regions, locations and distances."""
    catalogue: Catalogue
    """Skus, their prices and costs, initial stock, lead times."""
    segments: list[Segment] = Field(min_length=1)
    """Customer segments (shares sum to 1)."""
    arrivals: Arrivals
    """How many customers come, when, and through which channel."""
    policies: Policies = Field(default_factory=Policies)
    """Fulfilment, allocation and replenishment policies."""
    carriers: Carriers = Field(default_factory=Carriers)
    """Parcel transit times."""
    lifetime: Lifetime | None = None
    """Customer lifetime value: with this table, kpis.csv has cltv and ltv_to_cac."""
    promises: Promises = Field(default_factory=Promises)
    """Delivery and pickup dates promised at checkout (a later leg is late)."""
    satisfaction: Satisfaction | None = None
    """Experience -> satisfaction -> surveys and retention; None keeps each segment's constant
    repeat_rate and logs no promise, survey or churn."""
    loyalty: Loyalty | None = None
    """A loyalty programme (needs the satisfaction table); None: no programme."""

    _sources: tuple[tuple[str, str], ...] = PrivateAttr(default=())
    """The files it was read from (name, text), the scenario's first, then those it extends."""

    def locate(self, path: str) -> str:
        """``file:line`` of a dotted field path in the files this scenario came from."""
        from simulation.scenario.loading import where_of

        return where_of(self._sources or (("<scenario>", ""),), path)

    @model_validator(mode="after")
    def _one_repeat_law(self) -> Self:
        for i, segment in enumerate(self.segments):
            if segment.btyd is not None and self.satisfaction and self.satisfaction.enabled:
                raise ValueError(
                    f"segments[{i}].btyd: expected no [satisfaction] table beside it (the "
                    "customer loop decides repeat visits), got one"
                )
        return self

    @model_validator(mode="after")
    def _cross(self) -> Self:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days: expected less than horizon_days ({self.horizon_days}), "
                f"got {self.warmup_days}"
            )
        references.check(self)  # first: the shares below are keyed by unique segment names
        _sums_to_one({s.name: s.share for s in self.segments}, "segments[*].share")
        for i, c in enumerate(self.arrivals.campaigns):
            if c.end_day > self.horizon_days:
                raise ValueError(
                    f"arrivals.campaigns[{i}].end_day: expected at most horizon_days "
                    f"({self.horizon_days}), got {c.end_day}"
                )
        if self.satisfaction is not None and self.satisfaction.enabled:
            names = [s.name for s in self.segments]
            for name in self.satisfaction.segments:
                if name not in names:
                    raise ValueError(
                        f"satisfaction.segments.{name}: expected a segment in {names}, got {name!r}"
                    )
        if self.loyalty is not None:
            if self.satisfaction is None or not self.satisfaction.enabled:
                raise ValueError("loyalty: expected a [satisfaction] table too, got none")
            names = [s.name for s in self.segments]
            for name in self.loyalty.segments:
                if name not in names:
                    raise ValueError(
                        f"loyalty.segments.{name}: expected a segment in {names}, got {name!r}"
                    )
        if sum(self.arrivals.channels.values()) <= 0:
            raise ValueError(
                "arrivals.channels: expected at least one channel with weight > 0, "
                f"got {dict(self.arrivals.channels)}"
            )
        return self

    def with_overrides(
        self, overrides: Mapping[str, Any], *, source: str = "<overrides>"
    ) -> Scenario:
        """A copy with dotted-path values replaced (``arrivals.per_hour``), validated again."""
        from simulation.scenario.loading import scenario_from_dict, set_path

        data = self.model_dump(mode="json")
        for path, value in overrides.items():
            set_path(data, path, value, source)
        return scenario_from_dict(data, source=source)
