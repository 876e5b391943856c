"""Scenario files: the shipped ones load, extends and overrides work, mistakes are named."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from simulation.engine.compile import plan_of
from simulation.errors import InputError
from simulation.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BASE = (SCENARIOS / "baseline.toml").read_text()
IDS = ["WH1", *(f"S0{i}" for i in range(1, 9))]


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
    ("missing field", _edit("per_hour = 90", "# no rate"), "arrivals.per_hour", "None", "[arrivals]"),
    ("unknown location kind", _edit('kind = "warehouse"', 'kind = "depot"'),
     "network.locations[0].kind", "'depot'", 'kind = "depot"'),
    ("duplicate location id", _edit('id = "S02"', 'id = "S01"'),
     "network.locations[2].id", "'S01'", None),
    ("closing before opening", _edit("desk_servers = 2        # click", "opens = 20\ncloses = 8\ndesk_servers = 2  # click"),
     "network.locations[1].closes", "8", None),
    ("segment shares", _edit("share = 0.35", "share = 0.5"), "segments[*].share", "1.15", None),
    ("probability above 1", _edit("return_rate = 0.45", "return_rate = 1.5"),
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
     "segments[2].transitions.reserch", "'reserch'", "reserch = {"),
    ("unknown next step", _edit("research = { research = 0.2,", "research = { reserch = 0.2,"),
     "segments[2].transitions.research.reserch", "'reserch'", "research = { reserch"),
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
     "policies.replenishment.params.store.S", "2", "params.store = { s = 6"),
    ("unknown region", _edit('region = "north"\nx = 3', 'region = "east"\nx = 3'),
     "network.locations[1].region", "'east'", None),
    ("initial stock at an unknown location", BASE + "\n[catalogue.initial.S99]\nSKU0001 = 3\n",
     "catalogue.initial.S99", None, None),
    ("distance matrix missing a location", BASE + "\n[network.distances.north]\nWH1 = 10\nS01 = 2\n",
     "network.distances.north", "none for ['S02', 'S03', 'S04', 'S05', 'S06', 'S07', 'S08']", None),
    ("distance matrix for an unknown region", BASE + "\n[network.distances.east]\nWH1 = 10\n",
     "network.distances.east", "'east'", "[network.distances.east]"),
    ("distance to an unknown location", BASE + "\n[network.distances.north]\n" + "".join(f"{i} = 1\n" for i in IDS) + "S99 = 4\n",
     "network.distances.north.S99", "'S99'", "S99 = 4"),
    ("duplicate region name", _edit('name = "south"', 'name = "north"  # twice'),
     "network.regions[1].name", "'north' twice", "# twice"),
    ("duplicate segment name", _edit('name = "loyal"', 'name = "social"  # again'),
     "segments[1].name", "'social' twice", "# again"),
    ("initial stock of an unknown generated sku", BASE + "\n[catalogue.initial.S01]\nSKU9999 = 3\n",
     "catalogue.initial.S01.SKU9999", "'SKU9999'", "SKU9999 = 3"),
    ("a listed sku with a generated id", BASE + "\n[[catalogue.sku]]\nid = 'SKU0001'\nprice = 10\nunit_cost = 5\n",
     "catalogue.sku[0].id", "'SKU0001' twice", "id = 'SKU0001'"),
    ("no sku at all", _edit("[catalogue.generate]", "[catalogue.generated]"),
     "catalogue.generated", None, "[catalogue.generated]"),
    ("generated prices that round to nothing", _edit("price_sigma = 0.6", "price_sigma = 1e300"),
     "catalogue.generate.price_sigma", "1e+300 (prices from 0 to inf)", "price_sigma = 1e300"),
    ("a generated median of no cents", _edit("price_median = 35.0", "price_median = 0.001"),
     "catalogue.generate.price_median", "0.001", "price_median = 0.001"),
    ("pickers = true", _edit("pickers = 12", "pickers = true"),
     "network.locations[0].pickers", "True", "pickers = true"),
    ("an integer written as a float", _edit("pick_capacity = 3000", "pick_capacity = 3000.0"),
     "network.locations[0].pick_capacity", "3000.0", "pick_capacity = 3000.0"),
    ("a number for a boolean", _edit("ship_from_store = true  #", "ship_from_store = 1  #"),
     "network.locations[1].ship_from_store", "1", "ship_from_store = 1"),
    ("a boolean for a probability", _edit("return_rate = 0.45", "return_rate = true"),
     "segments[0].return_rate", "True", "return_rate = true"),
    ("a boolean in a table of numbers", _edit("params.store = { s = 2,", "params.store = { s = false,"),
     "policies.replenishment.params.store.s", "False", "params.store = { s = false"),
    ("an infinite rate", _edit("per_hour = 90 ", "per_hour = inf "), "arrivals.per_hour", "inf", "per_hour = inf"),
    ("nan in a list", _edit("[0.2, 0.1, 0.1,", "[nan, 0.1, 0.1,"), "arrivals.hour_of_day[0]", "nan", "hour_of_day ="),
    ("an infinite coordinate", _edit("y = -12", "y = -inf"), "network.regions[1].y", "-inf", "y = -inf"),
    ("a rate this machine cannot simulate", _edit("per_hour = 90 ", "per_hour = 1e12 "),
     "arrivals.per_hour", "about 6.2e+14 customers", "per_hour = 1e12"),
    ("a horizon this machine cannot simulate", _edit("horizon_days = 28 ", "horizon_days = 1e9 "),
     "horizon_days", None, "horizon_days = 1e9"),
    ("satisfaction of an unknown segment", BASE + "\n[satisfaction.segments.vip]\nbaseline = 5.0\n",
     "satisfaction.segments.vip", "'vip'", None),
    ("a satisfaction weight out of bounds", BASE + "\n[satisfaction.segments.social]\nweights = { late_day = -50.0 }\n",
     "satisfaction.segments.social.weights.late_day", "-50.0", "weights = { late_day = -50.0 }"),
    ("an unknown experience factor", BASE + "\n[satisfaction.segments.social]\nweights = { lateness = -1.0 }\n",
     "satisfaction.segments.social.weights.lateness", None, "weights = { lateness"),
    ("a baseline above 10", BASE + "\n[satisfaction.segments.social]\nbaseline = 11.0\n",
     "satisfaction.segments.social.baseline", "11.0", "baseline = 11.0"),
    ("a promise of no time", _edit("delivery_days = 3.0 ", "delivery_days = 0.0 "),
     "promises.delivery_days", "0.0", "delivery_days = 0.0"),
    ("TOML syntax", _edit("seed = 1 ", "seed = = 1 "), "toml", None, "seed = = 1"),
    ("TOML cut short", BASE + "[[segments]]\nchannels = { web = 1,", "toml", None, "channels = { web = 1,"),
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
    assert "\n" not in message, message
    assert f"{field}: expected" in message, message
    if given is not None:
        assert f"got {given}" in message, message
    if needle is not None:
        assert re.search(rf"mistake\.toml:{_line(text, needle)}: ", message), message


def test_extends_cycles_and_missing_parents(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('# b\n\nextends = "a.toml"\n')
    with pytest.raises(InputError) as raised:
        load_scenario(tmp_path / "a.toml")
    # placed at the extends that closes the cycle
    assert str(raised.value) == (
        f"{tmp_path / 'b.toml'}:3: extends: expected no cycle of extends, "
        "got 'a.toml -> b.toml -> a.toml'"
    )
    (tmp_path / "c.toml").write_text('extends = "nowhere.toml"\n')
    with pytest.raises(InputError, match=r"c\.toml:1: extends: expected an existing scenario file"):
        load_scenario(tmp_path / "c.toml")
    (tmp_path / "d.toml").write_text("seed = 1\nextends = 3\n")
    with pytest.raises(InputError, match=r"d\.toml:2: extends: expected a path to another"):
        load_scenario(tmp_path / "d.toml")


def test_a_missing_key_is_placed_at_its_table(tmp_path: Path) -> None:
    text = _edit('id = "S03"\n', "")
    (tmp_path / "no-id.toml").write_text(text)
    with pytest.raises(InputError) as raised:
        load_scenario(tmp_path / "no-id.toml")
    header = [i for i, line in enumerate(text.splitlines(), 1) if line == "[[network.locations]]"]
    assert str(raised.value) == (
        f"{tmp_path / 'no-id.toml'}:{header[3]}: network.locations[3].id: "
        "expected a value (this field is required), got None"
    )


def test_an_inherited_mistake_is_placed_in_the_file_that_makes_it(tmp_path: Path) -> None:
    (tmp_path / "base.toml").write_text(_edit("return_rate = 0.45", "return_rate = 1.5"))
    (tmp_path / "child.toml").write_text('extends = "base.toml"\n\n[arrivals]\nper_hour = 9\n')
    with pytest.raises(InputError) as raised:
        load_scenario(tmp_path / "child.toml")
    line = _line(BASE, "return_rate = 0.45")
    assert str(raised.value).startswith(f"{tmp_path / 'base.toml'}:{line}: segments[0].return_rate")
    (tmp_path / "child.toml").write_text('extends = "baseline.toml"\n\n[arrivals]\nper_hour = -9\n')
    (tmp_path / "baseline.toml").write_text(BASE)
    with pytest.raises(InputError) as raised:
        load_scenario(tmp_path / "child.toml")
    assert str(raised.value).startswith(f"{tmp_path / 'child.toml'}:4: arrivals.per_hour")


UNREADABLE = [
    # (id, bytes written or None for a directory, the message after "<file>")
    ("not UTF-8", BASE.encode() + 'description = "caf\xe9"\n'.encode("latin-1"),
     f":{BASE.count(chr(10)) + 1}: file: expected UTF-8 text, got byte 0xe9 (save the file as UTF-8)"),
    ("not UTF-8 after a byte order mark", b"\xef\xbb\xbfseed = 1\nname = 'caf\xe9'\n",
     ":2: file: expected UTF-8 text, got byte 0xe9"),
    ("UTF-16", BASE.encode("utf-16"), ":1: file: expected UTF-8 text, got UTF-16 text (save the file as UTF-8)"),
    ("binary", bytes(range(256)), ":1: file: expected a text file (TOML), got binary data"),
    ("a NUL on line 3", b"seed = 1\nhorizon_days = 2\n\0\n",
     ":3: file: expected a text file (TOML), got binary data"),
    ("empty", b"", ":1: file: expected a scenario (horizon_days, [network], [catalogue], "
     "[[segments]], [arrivals]), got an empty file"),
    ("only comments", b"# nothing yet\n\n", ":1: file: expected a scenario"),
    ("a directory", None, ": file: expected a scenario file, got a directory"),
    ("nested too deeply", b"a = " + b"[" * 5000 + b"]" * 5000,
     ": toml: expected TOML nested less deeply, got too deep"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "after"), [u[1:] for u in UNREADABLE], ids=[u[0] for u in UNREADABLE]
)
def test_an_unreadable_file_is_one_error_naming_it(
    tmp_path: Path, content: bytes | None, after: str
) -> None:
    path = tmp_path / "broken.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        load_scenario(path)
    assert str(raised.value).startswith(f"{path}{after}"), str(raised.value)


def test_a_missing_file_and_a_utf8_bom(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_scenario(tmp_path / "nope.toml")
    path = tmp_path / "nope.toml"
    assert str(raised.value) == f"{path}: file: expected an existing scenario file, got '{path}'"
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + BASE.encode())  # as Notepad saves
    assert load_scenario(tmp_path / "bom.toml").horizon_days == 28


def test_extreme_values_that_can_run_load_without_a_warning(tmp_path: Path) -> None:
    # a Zipf exponent past overflow weights every sku but the first 0, silently
    (tmp_path / "zipf.toml").write_text(_edit("zipf = 1.0", "zipf = 1e308"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = plan_of(load_scenario(tmp_path / "zipf.toml"))
    assert plan.demand[0] == 1.0
    assert plan.demand[1:].sum() == 0.0
