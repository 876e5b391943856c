"""The scenario's pydantic models: every field, its bounds, and the checks across fields.

A scenario is a TOML file (see ``scenarios/baseline.toml``, commented line by line). It may
``extends = "other.toml"`` and override only what differs: tables merge key by key, arrays
are replaced. Every mistake becomes one :class:`~simulation.errors.InputError` naming the file,
the line where it can be found, the dotted field path, what was expected and what was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from simulation.policies.fulfilment import FILTERS, SORTS, SPLITS
from simulation.policies.registry import is_import_path
from simulation.types import Channel

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
NO_STOCK = ("switch_channel", "substitute", "wait", "leave")

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Kind = Literal["warehouse", "store", "dark_store"]
_TOL = 1e-9


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _sums_to_one(values: Mapping[str, float], path: str) -> None:
    total = sum(values.values())
    if abs(total - 1.0) > _TOL:
        raise ValueError(f"{path}: expected probabilities summing to 1, got {total:.6g}")


class Region(Model):
    name: str
    x: float
    y: float
    weight: Positive = 1.0


class Location(Model):
    id: str = Field(min_length=1)
    kind: Kind
    region: str = "all"
    x: float = 0.0
    y: float = 0.0
    pick_capacity: Annotated[int, Field(gt=0)]
    pickers: Annotated[int, Field(gt=0)] = 2
    pick_minutes: Positive = 30.0
    desk_servers: Annotated[int, Field(ge=0)] = 0
    desk_minutes: Positive = 3.0
    desk_service: Literal["exponential", "deterministic", "erlang2"] = "exponential"
    opens: Annotated[float, Field(ge=0, le=24)] = 9.0
    closes: Annotated[float, Field(ge=0, le=24)] = 21.0
    ship_from_store: bool = False
    ship_cost: NonNegative = 5.0
    priority: int = 0

    @model_validator(mode="after")
    def _hours(self) -> Self:
        if self.closes <= self.opens:
            raise ValueError(
                f"closes: expected an hour after opens ({self.opens}), got {self.closes}"
            )
        return self


class Network(Model):
    regions: list[Region] = Field(default_factory=lambda: [Region(name="all", x=0, y=0)])
    locations: list[Location] = Field(min_length=1)
    # Road distances (km) from each customer region to every location; regions not listed
    # use straight lines between coordinates.
    distances: dict[str, dict[str, NonNegative]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        for i, loc in enumerate(self.locations):
            if loc.id in seen:
                raise ValueError(f"locations[{i}].id: expected a unique id, got {loc.id!r} twice")
            seen.add(loc.id)
        regions = {r.name for r in self.regions}
        for region, row in self.distances.items():
            if region not in regions:
                raise ValueError(f"distances.{region}: expected a region in {sorted(regions)}")
            missing = sorted(seen - set(row))
            if missing:
                raise ValueError(
                    f"distances.{region}: expected a distance to every location, "
                    f"got none for {missing}"
                )
        return self


class Sku(Model):
    id: str = Field(min_length=1)
    price: Positive
    unit_cost: NonNegative
    demand: Positive = 1.0
    lead_days: Positive | None = None


class Generate(Model):
    """Generated skus: lognormal prices, Zipf demand, one margin."""

    count: Annotated[int, Field(gt=0, le=100_000)]
    price_median: Positive = 30.0
    price_sigma: NonNegative = 0.6
    margin: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.45
    zipf: NonNegative = 1.0
    seed: Annotated[int, Field(ge=0)] = 0


class Catalogue(Model):
    lead_days: Positive = 3.0
    generate: Generate | None = None
    sku: list[Sku] = Field(default_factory=list)
    stock: dict[Kind, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    initial: dict[str, dict[str, Annotated[int, Field(ge=0)]]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _some_skus(self) -> Self:
        if self.generate is None and not self.sku:
            raise ValueError("expected [catalogue.generate] or at least one [[catalogue.sku]]")
        ids = [s.id for s in self.sku]
        if len(set(ids)) != len(ids):
            raise ValueError(f"sku: expected unique ids, got {sorted(ids)}")
        return self


class Segment(Model):
    name: str = Field(min_length=1)
    share: Probability
    channels: dict[Channel, NonNegative]
    basket_mean: Annotated[float, Field(ge=1.0)] = 1.5
    step_minutes: Positive = 5.0
    channel_switch: Probability = 0.2
    return_rate: Probability = 0.1
    return_by_mail: Probability = 0.5
    restock_rate: Probability = 0.9
    return_days: Positive = 7.0
    pickup_delay_hours: Positive = 20.0
    patience_minutes: Positive = 15.0
    pickup_attempts: Annotated[int, Field(ge=1)] = 3  # visits to the desk before giving up
    repeat_rate: Probability = 0.1
    repeat_days: Positive = 14.0
    modes: dict[str, Probability] = Field(
        default_factory=lambda: {
            "home_delivery": 0.55,
            "click_and_collect": 0.3,
            "ship_from_store": 0.1,
            "endless_aisle": 0.05,
        }
    )
    no_stock: dict[str, Probability] = Field(
        default_factory=lambda: {
            "switch_channel": 0.25,
            "substitute": 0.25,
            "wait": 0.1,
            "leave": 0.4,
        }
    )
    transitions: dict[str, dict[str, Probability]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _distributions(self) -> Self:
        if sum(self.channels.values()) <= 0:
            raise ValueError("channels: expected at least one channel with weight > 0")
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
                raise ValueError(f"transitions.{step}: expected a step in {list(STEPS)}")
            for target in row:
                if target not in STEPS:
                    raise ValueError(
                        f"transitions.{step}.{target}: expected a step in {list(STEPS)}"
                    )
            _sums_to_one(row, f"transitions.{step}")
        return self

    def transition_rows(self) -> dict[str, dict[str, float]]:
        return {**DEFAULT_TRANSITIONS, **self.transitions}


class Campaign(Model):
    name: str
    kind: Literal["instagram_post", "email_blast", "black_friday", "tv", "promotion"] = "promotion"
    start_day: NonNegative
    end_day: Positive
    multiplier: Positive
    channels: list[Channel] = Field(min_length=1)

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.end_day <= self.start_day:
            raise ValueError(
                f"end_day: expected a day after start_day ({self.start_day}), got {self.end_day}"
            )
        return self


class Arrivals(Model):
    per_hour: Positive
    channels: dict[Channel, NonNegative]
    hour_of_day: list[NonNegative] = Field(
        default_factory=lambda: [1.0] * 24, min_length=24, max_length=24
    )
    day_of_week: list[NonNegative] = Field(
        default_factory=lambda: [1.0] * 7, min_length=7, max_length=7
    )
    campaigns: list[Campaign] = Field(default_factory=list)


class Fulfilment(Model):
    filters: list[str] = Field(default_factory=lambda: ["ships", "has_any_stock", "under_capacity"])
    sorts: list[str] = Field(default_factory=lambda: ["nearest"])
    split: str = "fewest"
    max_legs: Annotated[int, Field(ge=1)] = 2

    @model_validator(mode="after")
    def _names(self) -> Self:
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
    reserve_at: Literal["cart", "order"] = "order"
    ttl_minutes: Positive = 30.0
    hold_days: Positive = 3.0
    fences: dict[Channel, Probability] = Field(default_factory=dict)
    buffer: Annotated[int, Field(ge=0)] = 0

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
    review_days: Positive = 1.0
    transfers: bool = False  # a store short of a sku first pulls from the nearest store
    transfer_days: Positive = 0.5
    params: dict[Kind, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _kind(self) -> Self:
        _policy_name(("sS", "RQ", "base_stock", "none"))(self.kind)
        return self


class Policies(Model):
    fulfilment: Fulfilment = Field(default_factory=Fulfilment)
    allocation: Allocation = Field(default_factory=Allocation)
    replenishment: Replenishment = Field(default_factory=Replenishment)


class Carriers(Model):
    ship_days_mean: Positive = 2.0
    ship_days_sd: NonNegative = 0.5


class Scenario(Model):
    """A validated scenario: every field has been checked, every reference resolved."""

    name: str = "scenario"
    description: str = ""
    extends: str | None = None
    seed: Annotated[int, Field(ge=0)] = 0
    horizon_days: Positive
    warmup_days: NonNegative = 0.0
    network: Network
    catalogue: Catalogue
    segments: list[Segment] = Field(min_length=1)
    arrivals: Arrivals
    policies: Policies = Field(default_factory=Policies)
    carriers: Carriers = Field(default_factory=Carriers)

    _source: str = PrivateAttr(default="")
    _text: str = PrivateAttr(default="")

    def locate(self, path: str) -> str:
        """``file:line`` of a dotted field path in the file this scenario came from."""
        from simulation.scenario.loading import where_of

        return where_of(self._source or "<scenario>", self._text, path)

    @model_validator(mode="after")
    def _cross(self) -> Self:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days: expected less than horizon_days ({self.horizon_days}), "
                f"got {self.warmup_days}"
            )
        _sums_to_one({s.name: s.share for s in self.segments}, "segments[*].share")
        locations = {loc.id for loc in self.network.locations}
        regions = {r.name for r in self.network.regions} | {"all"}
        for i, loc in enumerate(self.network.locations):
            if loc.region not in regions:
                raise ValueError(
                    f"network.locations[{i}].region: expected one of {sorted(regions)}, "
                    f"got {loc.region!r}"
                )
        skus = {s.id for s in self.catalogue.sku}
        for location, table in self.catalogue.initial.items():
            if location not in locations:
                raise ValueError(
                    f"catalogue.initial.{location}: expected a location in {sorted(locations)}"
                )
            for sku in table:
                if skus and sku not in skus:
                    raise ValueError(
                        f"catalogue.initial.{location}.{sku}: expected a sku of the catalogue"
                    )
        for i, c in enumerate(self.arrivals.campaigns):
            if c.end_day > self.horizon_days:
                raise ValueError(
                    f"arrivals.campaigns[{i}].end_day: expected at most horizon_days "
                    f"({self.horizon_days}), got {c.end_day}"
                )
        if sum(self.arrivals.channels.values()) <= 0:
            raise ValueError("arrivals.channels: expected at least one channel with weight > 0")
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
