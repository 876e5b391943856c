"""Ids that one table of a scenario names and another defines: every name must resolve.

Regions, locations and segments are named once each; a location's region, the distance table's
rows (regions) and columns (locations), and the initial stock's locations and skus must name
ones that exist. Mistakes are raised as ``ValueError("path: expected ..., got ...")`` inside the
model's validation, so that the loader adds the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulation.scenario.model import Scenario


def check(scenario: Scenario) -> None:
    """Raise a ``ValueError`` naming the first id that is defined twice or does not resolve."""
    network = scenario.network
    _unique("network.regions[{}].name", (r.name for r in network.regions), "name")
    _unique("network.locations[{}].id", (loc.id for loc in network.locations), "id")
    _unique("segments[{}].name", (s.name for s in scenario.segments), "name")
    regions = {r.name for r in network.regions}
    locations = [loc.id for loc in network.locations]
    for i, loc in enumerate(network.locations):
        _known(f"network.locations[{i}].region", loc.region, regions | {"all"}, "one of")
    for region, row in network.distances.items():
        _known(f"network.distances.{region}", region, regions, "a region in")
        for location in row:
            _known(f"network.distances.{region}.{location}", location, locations, "a location in")
        missing = [loc for loc in locations if loc not in row]
        if missing:
            raise ValueError(
                f"network.distances.{region}: expected a distance to every location, "
                f"got none for {missing}"
            )
    skus = set(scenario.catalogue.sku_ids())
    for location, table in scenario.catalogue.initial.items():
        _known(f"catalogue.initial.{location}", location, locations, "a location in")
        for sku in table:
            if sku not in skus:
                raise ValueError(
                    f"catalogue.initial.{location}.{sku}: expected a sku of the catalogue, "
                    f"got {sku!r}"
                )


def _unique(path: str, names: Iterable[str], noun: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise ValueError(f"{path.format(i)}: expected a unique {noun}, got {name!r} twice")
        seen.add(name)


def _known(path: str, name: str, known: Iterable[str], expected: str) -> None:
    if name not in known:
        raise ValueError(f"{path}: expected {expected} {sorted(known)}, got {name!r}")
