"""Scenario files: the shipped ones load, extends and overrides work, mistakes are named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation.engine.compile import plan_of
from simulation.errors import InputError
from simulation.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BASE = (SCENARIOS / "baseline.toml").read_text()


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_loads_and_compiles(path: Path) -> None:
    scenario = load_scenario(path)
    plan = plan_of(scenario)
    assert scenario.name == path.stem
    assert len(plan.skus) >= 1
    assert plan.horizon == scenario.horizon_days * 1440


def test_extends_overrides_only_what_differs(tmp_path: Path) -> None:
    (tmp_path / "baseline.toml").write_text(BASE)
    (tmp_path / "peak.toml").write_text(
        'extends = "baseline.toml"\n[arrivals]\nper_hour = 90\n'
        "[[arrivals.campaigns]]\nname = 'bf'\nkind = 'black_friday'\nstart_day = 3\n"
        "end_day = 4\nmultiplier = 3\nchannels = ['web', 'app']\n"
    )
    peak = load_scenario(tmp_path / "peak.toml")
    base = load_scenario(tmp_path / "baseline.toml")
    assert peak.name == "peak"
    assert peak.arrivals.per_hour == 90
    assert peak.arrivals.channels == base.arrivals.channels  # merged, not replaced
    assert peak.network == base.network
    assert peak.arrivals.campaigns[0].multiplier == 3


def test_overrides_are_validated_again() -> None:
    base = load_scenario(SCENARIOS / "baseline.toml")
    more = base.with_overrides({"policies.fulfilment.max_legs": 3, "arrivals.per_hour": 10.0})
    assert more.policies.fulfilment.max_legs == 3
    assert base.policies.fulfilment.max_legs == 2
    with pytest.raises(InputError, match=r"policies\.fulfilment\.max_legs"):
        base.with_overrides({"policies.fulfilment.max_legs": 0})
    with pytest.raises(InputError, match=r"policies\.nothing\.x: expected a field path"):
        base.with_overrides({"policies.nothing.x": 1})


def _edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def _line(text: str, needle: str, occurrence: int = 0) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence]


MISTAKES = [
    # (id, edited text, field path in the message, given value in the message, line needle)
    ("wrong type", _edit("pick_capacity = 3000", 'pick_capacity = "lots"'),
     "network.locations[0].pick_capacity", "'lots'", 'pick_capacity = "lots"'),
    ("negative capacity", _edit("pick_capacity = 3000", "pick_capacity = -5"),
     "network.locations[0].pick_capacity", "-5", "pick_capacity = -5"),
    ("misspelt key", _edit("pickers = 12", "pickerz = 12"),
     "network.locations[0].pickerz", "12", "pickerz = 12"),
    ("missing field", _edit("per_hour = 45", "# no rate"), "arrivals.per_hour", "None", None),
    ("unknown location kind", _edit('kind = "warehouse"', 'kind = "depot"'),
     "network.locations[0].kind", "'depot'", 'kind = "depot"'),
    ("duplicate location id", _edit('id = "S02"', 'id = "S01"'),
     "network.locations[2].id", "'S01'", None),
    ("closing before opening", _edit("desk_servers = 2        # click", "opens = 20\ncloses = 8\ndesk_servers = 2  # click"),
     "network.locations[1].closes", "8", None),
    ("segment shares", _edit("share = 0.35", "share = 0.5"), "segments[*].share", "1.15", None),
    ("probability above 1", _edit("return_rate = 0.22", "return_rate = 1.5"),
     "segments[0].return_rate", "1.5", "return_rate = 1.5"),
    ("unknown channel", _edit("instagram = 0.35, app = 0.4", "tiktok = 0.35, app = 0.4"),
     "segments[0].channels.tiktok", "'tiktok'", None),
    ("modes not summing to 1", _edit("home_delivery = 0.55, click_and_collect = 0.3, ship_from_store = 0.1",
                                      "home_delivery = 0.75, click_and_collect = 0.3, ship_from_store = 0.1"),
     "segments[0].modes", "1.2", None),
    ("unknown mode", _edit("endless_aisle = 0.05 }\nno_stock = { switch_channel = 0.3",
                           "drone = 0.05 }\nno_stock = { switch_channel = 0.3"),
     "segments[0].modes.drone", "'drone'", None),
    ("transition row", _edit("discover = { research = 0.6,", "discover = { research = 0.9,"),
     "segments[2].transitions.discover", "1.3", None),
    ("unknown step", _edit("research = { research = 0.2,", "reserch = { research = 0.2,"),
     "segments[2].transitions.reserch", None, None),
    ("23 hour multipliers", _edit("[0.2, 0.1, 0.1,", "[0.1, 0.1,"), "arrivals.hour_of_day", None, "hour_of_day ="),
    ("8 weekday multipliers", _edit("day_of_week = [0.9,", "day_of_week = [1.0, 0.9,"),
     "arrivals.day_of_week", None, "day_of_week ="),
    ("campaign outside the horizon",
     BASE + "\n[[arrivals.campaigns]]\nname = 'late'\nstart_day = 27\nend_day = 40\nmultiplier = 2\nchannels = ['web']\n",
     "arrivals.campaigns[0].end_day", "40", None),
    ("campaign ends before it starts",
     BASE + "\n[[arrivals.campaigns]]\nname = 'x'\nstart_day = 5\nend_day = 2\nmultiplier = 2\nchannels = ['web']\n",
     "arrivals.campaigns[0].end_day", "2", None),
    ("warm-up longer than the run", _edit("warmup_days = 0", "warmup_days = 30"), "warmup_days", "30", None),
    ("unknown filter", _edit('filters = ["ships",', 'filters = ["cheap",'),
     "policies.fulfilment.filters[0]", "'cheap'", None),
    ("unknown split", _edit('split = "fewest"', 'split = "many"'), "policies.fulfilment.split", "'many'", None),
    ("unknown allocation", _edit('kind = "pooled"', 'kind = "shared"'),
     "policies.allocation.kind", "'shared'", None),
    ("malformed module:Class", _edit('kind = "sS"', 'kind = "my policies:Class"'),
     "policies.replenishment.kind", "'my policies:Class'", None),
    ("reserve_at", _edit('reserve_at = "cart"', 'reserve_at = "checkout"'),
     "policies.allocation.reserve_at", "'checkout'", 'reserve_at = "checkout"'),
    ("replenishment parameters", _edit("params.store = { s = 2, S = 6 }", "params.store = { s = 6, S = 2 }"),
     "policies.replenishment.params.store.S", "2", None),
    ("unknown region", _edit('region = "north"\nx = 3', 'region = "east"\nx = 3'),
     "network.locations[1].region", "'east'", None),
    ("initial stock at an unknown location", BASE + "\n[catalogue.initial.S99]\nSKU0001 = 3\n",
     "catalogue.initial.S99", None, None),
    ("distance matrix missing a location", BASE + "\n[network.distances.north]\nWH1 = 10\nS01 = 2\n",
     "network.distances.north", "none for ['S02', 'S03', 'S04', 'S05', 'S06', 'S07', 'S08']", None),
    ("distance matrix for an unknown region", BASE + "\n[network.distances.east]\nWH1 = 10\n",
     "network.distances.east", None, None),
    ("TOML syntax", _edit("seed = 1 ", "seed = = 1 "), "toml", None, "seed = = 1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "field", "given", "needle"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_a_mistake_names_file_line_field_and_value(
    tmp_path: Path, text: str, field: str, given: str | None, needle: str | None
) -> None:
    path = tmp_path / "mistake.toml"
    path.write_text(text)
    with pytest.raises(InputError) as raised:
        plan_of(load_scenario(path))
    message = str(raised.value)
    assert message.startswith(str(path)), message
    assert f"{field}: expected" in message, message
    if given is not None:
        assert f"got {given}" in message, message
    if needle is not None:
        assert re.search(rf"mistake\.toml:{_line(text, needle)}: ", message), message


def test_extends_cycles_and_missing_parents(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(
        InputError, match=r"extends: expected no cycle of extends, got 'a.toml -> b.toml -> a.toml'"
    ):
        load_scenario(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text('extends = "nowhere.toml"\n')
    with pytest.raises(InputError, match=r"c\.toml:1: extends: expected an existing scenario file"):
        load_scenario(tmp_path / "c.toml")
