"""Order sourcing: filters, sorts and split rules on a small hand-drawn network."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.errors import InputError
from simulation.policies.fulfilment import Request, Site, SourcingChain
from simulation.types import LocationId, SkuId

WH = Site(
    id=LocationId("WH1"), kind="warehouse", region="north", x=0, y=0, priority=1, cost_per_unit=1.0
)
S1 = Site(
    id=LocationId("S01"), kind="store", region="north", x=5, y=0, priority=2, cost_per_unit=3.0
)
S2 = Site(
    id=LocationId("S02"), kind="store", region="south", x=50, y=0, priority=3, cost_per_unit=2.0
)
S3 = Site(id=LocationId("S03"), kind="store", region="south", x=60, y=0, ships=False)
SITES = [WH, S1, S2, S3]
TEE, JEANS = SkuId("TEE"), SkuId("JEANS")


def request(
    stock: dict[str, dict[str, int]], lines: dict[SkuId, int], x: float = 4.0, region: str = "north"
) -> Request:
    return Request(
        lines=lines, region=region, x=x, y=0.0,
        available=lambda loc, sku: stock.get(loc, {}).get(sku, 0),
    )  # fmt: skip


def test_nearest_site_with_full_stock_wins() -> None:
    stock = {"WH1": {"TEE": 9}, "S01": {"TEE": 9}, "S02": {"TEE": 9}}
    chain = SourcingChain(filters=("has_full_stock",), sorts=("nearest",), split="none")
    assert chain.source(SITES, request(stock, {TEE: 2})) == [("S01", {TEE: 2})]
    assert chain.source(SITES, request(stock, {TEE: 2}, x=-3)) == [("WH1", {TEE: 2})]


@pytest.mark.parametrize(
    ("sorts", "first"),
    [
        (("priority",), "WH1"),
        (("lowest_cost",), "WH1"),
        (("most_stock",), "S02"),
        (("nearest",), "S01"),
    ],
)
def test_sorts_rank_the_candidates(sorts: tuple[str, ...], first: str) -> None:
    stock = {"WH1": {"TEE": 3}, "S01": {"TEE": 2}, "S02": {"TEE": 8}}
    chain = SourcingChain(filters=("has_full_stock",), sorts=sorts, split="none")
    assert chain.source(SITES, request(stock, {TEE: 2}))[0][0] == first


def test_filters_drop_sites() -> None:
    stock = {"S02": {"TEE": 5}, "S03": {"TEE": 5}}
    in_region = SourcingChain(filters=("in_region", "has_full_stock"), split="none")
    assert in_region.source(SITES, request(stock, {TEE: 1})) == []
    shipping = SourcingChain(filters=("ships", "has_full_stock"), sorts=("nearest",), split="none")
    assert shipping.source(SITES, request(stock, {TEE: 1}, x=61, region="south")) == [
        ("S02", {TEE: 1})
    ]


def test_under_capacity_filter() -> None:
    stock = {"WH1": {"TEE": 5}, "S01": {"TEE": 5}}
    req = Request(
        lines={TEE: 3}, region="north", x=4, y=0,
        available=lambda loc, sku: stock.get(loc, {}).get(sku, 0),
        capacity_left=lambda loc: 2 if loc == "S01" else 100,
    )  # fmt: skip
    chain = SourcingChain(
        filters=("under_capacity", "has_full_stock"), sorts=("nearest",), split="none"
    )
    assert chain.source(SITES, req) == [("WH1", {TEE: 3})]


def test_split_covers_with_the_fewest_legs() -> None:
    stock = {"WH1": {"TEE": 1}, "S01": {"TEE": 2}, "S02": {"TEE": 2, "JEANS": 1}}
    req = request(stock, {TEE: 3, JEANS: 1})
    assert SourcingChain(split="none").source(SITES, req) == []
    legs = SourcingChain(split="fewest", max_legs=3).source(SITES, req)
    assert legs == [("S02", {TEE: 2, JEANS: 1}), ("S01", {TEE: 1})]
    assert SourcingChain(split="at_most", max_legs=1).source(SITES, req) == []


@settings(max_examples=200)
@given(
    stock=st.dictionaries(
        st.sampled_from(["WH1", "S01", "S02", "S03"]),
        st.dictionaries(st.sampled_from([TEE, JEANS]), st.integers(0, 4)),
    ),
    lines=st.dictionaries(st.sampled_from([TEE, JEANS]), st.integers(1, 4), min_size=1),
    max_legs=st.integers(1, 4),
)
def test_legs_never_promise_more_than_available_and_cover_exactly(
    stock: dict[str, dict[str, int]], lines: dict[SkuId, int], max_legs: int
) -> None:
    req = request(stock, lines)
    legs = SourcingChain(filters=("ships",), split="fewest", max_legs=max_legs).source(SITES, req)
    if not legs:
        return
    assert len(legs) <= max_legs
    assert len({loc for loc, _ in legs}) == len(legs)
    covered: dict[SkuId, int] = {}
    for loc, served in legs:
        assert loc != "S03"  # does not ship
        for sku, qty in served.items():
            assert 0 < qty <= stock[loc][sku]
            covered[sku] = covered.get(sku, 0) + qty
    assert covered == lines


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"filters": ("cheapest",)}, "filters[0]"), ({"sorts": ("random",)}, "sorts[0]"),
     ({"split": "many"}, "split"), ({"max_legs": 0}, "max_legs")],
)  # fmt: skip
def test_bad_chain_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as raised:
        SourcingChain(**kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_a_distance_matrix_replaces_straight_lines() -> None:
    stock = {"WH1": {"TEE": 9}, "S01": {"TEE": 9}}
    chain = SourcingChain(filters=("has_full_stock",), sorts=("nearest",), split="none")
    req = Request(
        lines={TEE: 1}, region="north", x=4.0, y=0.0,
        available=lambda loc, sku: stock.get(loc, {}).get(sku, 0),
        distances={"WH1": 3.0, "S01": 40.0, "S02": 50.0, "S03": 60.0},  # a river between
    )  # fmt: skip
    assert chain.source(SITES, req) == [("WH1", {TEE: 1})]


@settings(max_examples=150, deadline=None)
@given(
    stock=st.dictionaries(
        st.sampled_from(["WH1", "S01", "S02", "S03"]),
        st.dictionaries(st.sampled_from(["TEE", "JEANS"]), st.integers(0, 5)),
    ),
    lines=st.dictionaries(st.sampled_from([TEE, JEANS]), st.integers(1, 4), min_size=1),
    sorts=st.lists(st.sampled_from(["nearest", "priority", "lowest_cost"]), min_size=1, max_size=3),
    split=st.sampled_from(["none", "fewest", "at_most"]),
    x=st.floats(-100, 100),
)
def test_a_static_chain_on_presorted_sites_sources_as_the_chain_itself(
    stock: dict[str, dict[str, int]], lines: dict[SkuId, int], sorts: list[str], split: str,
    x: float,
) -> None:  # fmt: skip
    # The engine ranks the sites once per home area for a static chain, then filters only.
    chain = SourcingChain(filters=("ships", "has_any_stock"), sorts=tuple(sorts), split=split)
    assert chain.static
    req = request(stock, lines, x=x)
    presorted = chain.order(SITES, request({}, {}, x=x))
    assert chain.source(presorted, req, presorted=True) == chain.source(SITES, req)


def test_a_chain_that_sorts_by_stock_is_not_static() -> None:
    assert not SourcingChain(sorts=("nearest", "most_stock")).static
