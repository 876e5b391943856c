"""``omnicanal replay --check-mapping``: every step kind of the run with its status, every
error with its TOML line, offline."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from loadtests.adapters.check import check_mapping
from loadtests.adapters.compiler import read_mapping
from loadtests.journeys import Journey, Step
from simulation.cli import app as cli
from simulation.commandlog import CommandLog
from simulation.domain.events import TouchpointVisited
from simulation.eventlog import EventLog
from simulation.types import Channel, CustomerId, SimTime

REFERENCE = Path(__file__).resolve().parents[2] / "loadtests" / "adapters" / "reference.toml"
JOURNEY = Journey(3, (
    Step("open_cart", 0.0, {"customer": 3, "cart": 1, "channel": "web"}),
    Step("add_to_cart", 1.0, {"cart": 1, "sku": "TEE", "qty": 1, "unit_price": 2.0}),
    Step("add_to_cart", 2.0, {"cart": 1, "sku": "HAT", "qty": 1, "unit_price": 2.0,
                              "reserve_at": "S01"}),
    Step("checkout", 3.0, {"order": 1, "cart": 1, "legs": []}),
    Step("pay", 4.0, {"order": 1, "amount": 4.0}),
    Step("expire_hold", 5.0, {"order": 1, "location": "S01"}),
    Step("ship", 6.0, {"order": 1, "location": "S01"}),
))  # fmt: skip

SHOP = """version = 2
name = "shop"

[lookups.product]
file = "products.csv"

[steps.open_cart]
path = "/baskets"
capture = { basket = "url" }

[steps.add_to_cart]
path = "${basket}lines"
body = { product = "${product[sku]}", store = "${reserve_at}" }

[steps.checkout]
[[steps.checkout.requests]]
path = "${basket}checkout"
[[steps.checkout.requests]]
path = "${payment}confirm"

[steps.pay]
path = "${order_url}pay"

[steps.expire_hold]
status = "implicit"

[steps.transfer]
status = "unsupported"
reason = "no transfers"

[steps.cancel]
path = "/cancel"
capture = { order_url = "url", payment = "payment" }
"""


def test_every_kind_of_the_run_with_its_status_and_every_error_with_its_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "products.csv").write_text("sku,url\nTEE,/p/1\n")
    path = tmp_path / "shop.toml"
    path.write_text(SHOP)
    report = check_mapping(path, [JOURNEY])
    assert [(k.kind, k.status, k.steps) for k in report.kinds] == [
        ("add_to_cart", "mapped (1 request)", 2), ("checkout", "mapped (2 requests)", 1),
        ("expire_hold", "implicit", 1), ("open_cart", "mapped (1 request)", 1),
        ("pay", "mapped (1 request)", 1), ("ship", "not mapped", 1),
    ]  # fmt: skip
    assert sorted(report.errors) == sorted([
        f"{path}: steps.ship: expected the run's 1 ship steps mapped, or declared (status = "
        '"implicit" or "unsupported"), or a default (unlisted = ...), got nothing',
        f"{path}:13: steps.add_to_cart.body: lookup product has no entry for 1 value(s) the "
        "run uses: 'HAT' (1 uses)",
        f"{path}:13: steps.add_to_cart.body: no value for ${{reserve_at}} in some steps "
        "(write ${reserve_at?} to leave its key out) (customer 3, step 2)",
        f"{path}:19: steps.checkout.requests[1].path: ${{payment}} is captured by no earlier "
        "step of the journey (steps.cancel captures it) (customer 3, step 4)",
        f"{path}:22: steps.pay.path: ${{order_url}} is captured by no earlier step of the "
        "journey (steps.cancel captures it) (customer 3, step 5)",
    ])  # fmt: skip
    assert not report.ok
    lines = report.lines()
    assert lines[0] == (
        f"mapping {path} (lookups: product (1 entries from a file); prepare: no requests, the "
        "stock checked through [state.stock]; final state: not read (nothing to reconcile)) "
        "against 1 journeys, 7 steps:"
    )
    assert "  expire_hold: implicit (1 steps)" in lines
    assert "errors: 5" in lines


def test_a_default_for_unlisted_kinds_and_the_reference_mapping_pass(tmp_path: Path) -> None:
    path = tmp_path / "few.toml"
    path.write_text('version = 2\nunlisted = "unsupported"\n[steps.ship]\npath = "/s/${order}"\n')
    report = check_mapping(path, [JOURNEY])
    assert report.ok, report.errors
    assert ("pay", "not in the mapping (unlisted = unsupported)") in [
        (k.kind, k.status) for k in report.kinds
    ]
    assert check_mapping(REFERENCE, [JOURNEY]).ok


def test_the_file_s_own_problems_are_listed_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'version = 2\n[steps.pay]\npath = "/p/${amout}"\n[steps.ship]\nmethod = "SEND"\n'
        'path = "/s"\n'
    )
    report = check_mapping(path, [JOURNEY])
    assert len(report.errors) == 2
    assert report.errors[0] == (
        f"{path}:5: steps.ship.method: expected 'GET', 'POST', 'PUT', 'PATCH' or 'DELETE', "
        "got 'SEND'"
    )
    assert report.errors[1].startswith(f"{path}:3: steps.pay.path: expected names a step field")
    v1 = tmp_path / "v1.toml"
    v1.write_text('[steps.pay]\npath = "/p/{order}"\n')
    (refused,) = check_mapping(v1, [JOURNEY]).errors
    assert "expected a version 2 mapping" in refused


def test_the_command_prints_the_check_and_exits_2_on_errors(tmp_path: Path) -> None:
    commands, events = CommandLog(), EventLog()
    for i in range(3):
        visit = TouchpointVisited(
            t=SimTime(i * 0.5), customer=CustomerId(i), channel=Channel.WEB, reason="discover"
        )
        events.append(visit, commands.observe())
    (tmp_path / "run").mkdir()
    commands.write(tmp_path / "run" / "commands.parquet", events.to_table())
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text('version = 2\n[steps.browse]\nmethod = "GET"\npath = "/c/${channel}"\n')
    bad.write_text('version = 2\n[steps.browse]\nmethod = "GET"\npath = "/c/${chanel}"\n')
    runner = CliRunner()
    base = ["replay", str(tmp_path / "run"), "--check-mapping", "--adapter"]
    passed = runner.invoke(cli, [*base, str(good)])
    assert passed.exit_code == 0, passed.output
    assert "  browse: mapped (1 request) (3 steps)" in passed.output
    assert passed.output.splitlines()[-1] == "errors: 0"
    failed = runner.invoke(cli, [*base, str(bad)])
    assert failed.exit_code == 2, failed.output
    assert f"{bad}:4: steps.browse.path: expected names a step field" in failed.output


def _toml_blocks() -> list[str]:
    text = (REFERENCE.parents[2] / "docs" / "engineer.md").read_text()
    section = text[text.index("## 3. Point it at your API") : text.index("## 4. ")]
    return [b.split("```", 1)[0] for b in section.split("```toml\n")[1:]]


def test_the_guide_s_examples_are_valid_mappings(tmp_path: Path) -> None:
    """docs/engineer.md stays true: its first example is a whole valid file, and the
    snippets of lookups, profiles, prepare and final state compile on top of a version line
    (with the lookup they name)."""
    first, *snippets = _toml_blocks()
    (tmp_path / "our-products.csv").write_text("sku,url\nTEE,/p/1\nHAT,/p/2\n")
    whole = tmp_path / "our-shop.toml"
    whole.write_text(first)
    assert check_mapping(whole, [JOURNEY]).ok, check_mapping(whole, [JOURNEY]).errors
    (tmp_path / "stores.csv").write_text("location,id\nS01,1\n")
    named = '[lookups.store]\nfile = "stores.csv"\n'
    for snippet in snippets:
        part = tmp_path / "part.toml"
        variant = (
            "" if "[lookups.variant]" in snippet else '[lookups.variant]\nfile = "stores.csv"\n'
        )
        part.write_text(f"version = 2\n{named}{variant}{snippet}")
        compiled = read_mapping(part)
        real = [p for p in compiled.problems if "${basket}" not in str(p.given)
                and "${cart_id}" not in str(p.given)]  # fmt: skip
        assert not real, (snippet, real)


def test_the_check_says_what_the_file_prepares_and_reads(tmp_path: Path) -> None:
    notes = check_mapping(REFERENCE, [JOURNEY]).notes
    assert notes == [
        "lookups: none",
        "prepare: 1 request(s), the stock as they set it (not read back: prepare.verify reads it)",
        "final state: stock and orders",
    ]
    bare = tmp_path / "bare.toml"
    bare.write_text('version = 2\nunlisted = "unsupported"\n[prepare.check]\npath = "/s/${sku}"\n')
    assert check_mapping(bare, [JOURNEY]).notes[1:] == [
        "prepare: no requests, the stock checked one (location, sku) at a time",
        "final state: not read (nothing to reconcile)",
    ]


def test_the_prepare_requests_are_rendered_with_the_initial_stock(tmp_path: Path) -> None:
    (tmp_path / "stores.csv").write_text("code,id\nS01,1\n")
    path = tmp_path / "stock.toml"
    path.write_text(
        'version = 2\nunlisted = "unsupported"\n[lookups.store]\nfile = "stores.csv"\n'
        '[prepare]\n[[prepare.requests]]\neach = "initial"\nmethod = "PUT"\n'
        'path = "/stock/${store[location]}/${sku}"\nbody = { n = "${qty}" }\n'
    )
    initial = {("S01", "TEE"): 4, ("WH1", "TEE"): 9, ("WH1", "CAP"): 2}
    (error,) = check_mapping(path, [JOURNEY], initial).errors
    assert error == (
        f"{path}:9: prepare.requests[0].path: lookup store has no entry for 1 value(s) the "
        "run uses: 'WH1' (2 uses)"
    )
