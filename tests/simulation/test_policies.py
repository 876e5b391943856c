"""Replenishment and allocation policies, and the registry that finds them by name."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.domain import Backend
from simulation.domain.commands import ReceiveStock
from simulation.errors import InputError
from simulation.policies.allocation import OnlineBuffer, Pooled, RingFenced
from simulation.policies.fulfilment import Request, Site
from simulation.policies.registry import REGISTRY, is_import_path, resolve
from simulation.policies.replenishment import BaseStock, MinMax, ReorderPointQuantity
from simulation.scenario import load_scenario
from simulation.scenario.library import scenario_file
from simulation.types import Channel, LocationId, SimTime, SkuId

S01, TEE = LocationId("S01"), SkuId("TEE")
SOURCED = ("home_delivery", "ship_from_store", "endless_aisle")


@pytest.mark.parametrize(("position", "qty"), [(10, 0), (5, 0), (4, 6), (-3, 13)])
def test_s_S_orders_up_to_S_at_or_below_s(position: int, qty: int) -> None:
    assert MinMax(s=4, S=10).order_qty(position) == qty


@given(position=st.integers(-50, 50), r=st.integers(-5, 20), q=st.integers(1, 10))
def test_R_Q_lifts_the_position_just_above_R_in_multiples_of_Q(
    position: int, r: int, q: int
) -> None:
    qty = ReorderPointQuantity(R=r, Q=q).order_qty(position)
    assert qty % q == 0
    if position > r:
        assert qty == 0
    else:
        assert r < position + qty <= r + q


def test_base_stock_orders_what_was_used() -> None:
    assert BaseStock(S=14).order_qty(11) == 3
    assert BaseStock(S=14).order_qty(15) == 0


def test_allocations_publish_domain_commands() -> None:
    siloed = RingFenced(fences={Channel.STORE: 0.5, Channel.WEB: 0.3})
    backend = Backend()
    backend.handle(ReceiveStock(at=SimTime(0), location=S01, sku=TEE, qty=10))
    for command in siloed.commands(SimTime(0), S01, TEE, on_hand=10):
        backend.handle(command)
    level = backend.stock_level(S01, TEE)
    assert level.fence_for(Channel.STORE) == 5
    assert level.available_to(Channel.APP) == 2  # 10 - 5 (store) - 3 (web)
    assert level.available_to(Channel.WEB) == 5
    assert Pooled().commands(SimTime(0), S01, TEE, 10) == []
    (buffer,) = OnlineBuffer(buffer=2).commands(SimTime(0), S01, TEE, 10)
    backend.handle(buffer)
    after = backend.stock_level(S01, TEE)
    assert after.available_to(Channel.STORE) == 7  # the floor sells through the buffer
    assert after.available_to(Channel.APP) == 0  # 10 - 5 - 3 - 2


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: MinMax(s=5, S=5), "S"),
        (lambda: ReorderPointQuantity(R=3, Q=0), "Q"),
        (lambda: RingFenced(fences={Channel.WEB: 0.7, Channel.APP: 0.4}), "fences"),
        (lambda: RingFenced(fences={Channel.WEB: 1.5}), "fences.web"),
        (lambda: Pooled(reserve_at="checkout"), "reserve_at"),
        (lambda: OnlineBuffer(buffer=-1), "buffer"),
    ],
)
def test_bad_parameters_name_the_field(make: object, field: str) -> None:
    with pytest.raises(InputError) as raised:
        make()  # type: ignore[operator]
    assert raised.value.field == field


def test_registry_finds_built_ins_and_imports_a_users_class() -> None:
    assert resolve("replenishment", "sS") is MinMax
    assert set(REGISTRY["allocation"]) == {"pooled", "ring_fenced", "online_buffer"}
    assert resolve("replenishment", "tests.simulation.test_policies:Every3") is Every3
    assert is_import_path("my_pkg.rules:Cheapest")
    assert not is_import_path("my_pkg.rules.Cheapest")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sSs", "one of ['RQ', 'base_stock', 'none', 'sS'] or 'package.module:Class'"),
        ("no such:Thing", "'package.module:Class'"),
        ("tests.nowhere:Thing", "an importable module"),
        (
            "tests.simulation.test_policies:Missing",
            "a class Missing in tests.simulation.test_policies",
        ),
    ],
)
def test_registry_errors_name_what_was_expected(name: str, expected: str) -> None:
    with pytest.raises(InputError) as raised:
        resolve("replenishment", name, field="policies.replenishment.kind")
    assert raised.value.field == "policies.replenishment.kind"
    assert raised.value.expected.startswith(expected)


class Every3:
    """A user's own replenishment policy: three units at every review."""

    def order_qty(self, position: int) -> int:
        return 3


@pytest.mark.parametrize("kind", ["pooled", "online_buffer"])
def test_a_scenario_without_policy_fields_gets_the_policies_own_defaults(kind: str) -> None:
    """One owner for each default: a scenario file that leaves the policies' fields out
    compiles to the policies built with no arguments (today's gap was under_capacity, and the
    online buffer, 0 in a file and 1 in the class)."""
    from dataclasses import asdict

    from simulation.engine.compile import plan_of
    from simulation.policies.fulfilment import SourcingChain
    from simulation.scenario import load_scenario
    from simulation.validation.table import FOLDER

    scenario = load_scenario(FOLDER / "mmc.toml").with_overrides(
        {"policies.fulfilment": {}, "policies.allocation": {"kind": kind}}
    )
    plan = plan_of(scenario)
    compiled = {k: tuple(v) if isinstance(v, list) else v for k, v in asdict(plan.sourcing).items()}
    assert compiled == asdict(SourcingChain())  # the file's lists are the class's tuples
    assert "under_capacity" in plan.sourcing.filters
    assert plan.allocation == {"pooled": Pooled, "online_buffer": OnlineBuffer}[kind]()


class OnlyFrom:
    """A user's own sourcing policy: every order from one location, whole, or not at all."""

    static = False

    def __init__(self, location: str) -> None:
        self.location = location

    def order(self, sites: list[Site], request: Request) -> list[Site]:
        return [s for s in sites if s.id == self.location]

    def source(self, sites: list[Site], request: Request, *, presorted: bool = False) -> list:
        mine = self.order(sites, request)
        if mine and all(request.servable(mine[0]).get(k, 0) >= q for k, q in request.lines.items()):
            return [(mine[0].id, dict(request.lines))]
        return []


def test_a_users_sourcing_class_sources_every_order() -> None:
    """Every order sourcing decides (home delivery, ship-from-store, endless aisle) comes
    from the user's one store: none from the warehouse, which the chain would have chosen."""
    from simulation.engine.compile import plan_of
    from simulation.engine.run import run_replication

    def legs(fulfilment: dict) -> pd.DataFrame:
        scenario = load_scenario(scenario_file("baseline")).with_overrides(
            {"horizon_days": 1, "policies.fulfilment": fulfilment}
        )
        log = run_replication(plan_of(scenario), seed=1).log.to_table().to_pandas()
        sourced = log[(log["type"] == "LineAllocated") & log["mode"].isin(SOURCED)]
        return sourced.groupby(["mode", "location"]).size()

    mine = legs({"kind": "tests.simulation.test_policies:OnlyFrom", "params": {"location": "S05"}})
    chain = legs({})
    assert set(mine.index) == {("ship_from_store", "S05")}
    assert ("home_delivery", "WH1") in chain.index


@pytest.mark.parametrize(
    ("fulfilment", "says"),
    [
        ({"kind": "cheapest"}, "kind: expected one of ['chain'] or 'package.module:Class'"),
        ({"params": {"x": 1}}, "params: expected none for kind = 'chain'"),
    ],
)
def test_fulfilment_kind_and_params_are_checked(fulfilment: dict, says: str) -> None:
    with pytest.raises(InputError, match=re.escape(says)):
        load_scenario(scenario_file("baseline")).with_overrides({"policies.fulfilment": fulfilment})
