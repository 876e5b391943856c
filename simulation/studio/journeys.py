"""Journeys as flows between touchpoints, read from the event log, for the Inside tab's
Sankey diagram: each visit's channels in order (a repeated channel counted once), its first
few steps, then how it ended."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import pandas as pd

STEPS = 3
"""Touchpoints shown per visit; the rest of a longer journey is folded into its outcome."""
ORDERED, LEFT = "ordered", "left without an order"


@dataclass(frozen=True, slots=True)
class Flows:
    """The diagram's nodes (``"1. web"``: the first touchpoint was web) and weighted links."""

    nodes: list[str]
    links: dict[tuple[str, str], int]


def flows(log: pd.DataFrame, steps: int = STEPS) -> Flows:
    """Touchpoint flows of the first replication's visits: a visit starts at
    ``CustomerArrived`` and ends at the customer's next visit or the end of the log; it
    ordered if an ``OrderPlaced`` of the customer falls inside it."""
    first = log[log["replication"] == log["replication"].min()]
    kinds = first["type"].astype("string")
    wanted = kinds.isin(["CustomerArrived", "TouchpointVisited", "OrderPlaced"])
    moves = first.loc[wanted, ["customer", "t", "channel"]].assign(type=kinds[wanted])
    moves = moves.sort_values(["customer", "t"], kind="stable")
    links: Counter[tuple[str, str]] = Counter()
    for path, ordered in _visits(moves):
        names = [f"{i + 1}. {channel}" for i, channel in enumerate(path[:steps])]
        links.update(itertools.pairwise(names))
        links[names[-1], ORDERED if ordered else LEFT] += 1
    nodes = sorted({n for link in links for n in link}, key=_order)
    return Flows(nodes, dict(links))


def _visits(moves: pd.DataFrame) -> list[tuple[list[str], bool]]:
    """Each visit's channels and whether it ordered, in one pass over the sorted events."""
    visits: list[tuple[list[str], bool]] = []
    owner = None
    columns = (moves["customer"].astype("string"), moves["type"], moves["channel"].astype("string"))
    for customer, kind, channel in zip(*columns, strict=True):
        if kind == "CustomerArrived":
            visits.append(([str(channel)], False))
            owner = customer
        elif customer != owner:
            continue  # before the customer's first visit, if the log starts mid-journey
        elif kind == "OrderPlaced":
            visits[-1] = (visits[-1][0], True)
        elif visits[-1][0][-1] != channel:
            visits[-1][0].append(str(channel))
    return visits


def _order(node: str) -> tuple[int, str]:
    step = node.split(".", 1)[0]
    return (int(step), node) if step.isdigit() else (10**6, node)


def echart(found: Flows) -> dict[str, object]:
    """The ECharts options of the Sankey diagram."""
    return {
        "tooltip": {"trigger": "item"},
        "series": [{
            "type": "sankey", "emphasis": {"focus": "adjacency"}, "nodeAlign": "left",
            "data": [{"name": n} for n in found.nodes],
            "links": [{"source": a, "target": b, "value": v} for (a, b), v in found.links.items()],
        }],
    }  # fmt: skip
