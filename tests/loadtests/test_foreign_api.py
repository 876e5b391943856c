"""The proof on a foreign API: ``omnicanal replay`` drives the foreign test shop
(tests/foreign_api: UUIDs, product URLs, a session header, a three-request checkout, stock
allocated at order time, paged lists; and its GraphQL face) with the shipped TOML mappings
alone, over real HTTP on loopback.

Every step kind the shop supports is sent, the others are declared (implicit or unsupported)
and reported; with ``--check invariants`` (the shop's rules legitimately differ: it reserves
nothing for baskets and allocates at the first location with enough) a truthful shop has zero
discrepancies, and the planted oversell is found and named.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from loadtests.journeys import initial_stock
from simulation.cli import app as cli
from simulation.commandlog import read_command_table
from simulation.domain.vocabulary import KINDS
from tests.foreign_api.app import create_app
from tests.loadtests.loopback import serving
from tests.loadtests.made_run import SCARCE, write_run

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = {
    "rest": ROOT / "loadtests" / "adapters" / "foreign-rest.toml",
    "graphql": ROOT / "loadtests" / "adapters" / "foreign-graphql.toml",
}
PASSWORD = "the-shop-admins-password"  # the mappings read it from FOREIGN_SHOP_PASSWORD
MAPPED = frozenset({
    "browse", "check_stock", "open_cart", "add_to_cart", "remove_from_cart", "abandon",
    "checkout", "pay", "cancel", "return", "ship", "hand_over", "pick_up", "expire_hold",
    "receive_stock", "write_off",
})  # fmt: skip
IMPLICIT = frozenset({"move_cart", "expire_cart", "hold", "deliver"})
UNSUPPORTED = frozenset({"backorder", "fill_backorder", "transfer", "set_safety", "fence"})
BESTSELLER = "SKU0000"


@pytest.fixture(scope="module")
def engine_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One simulated day of a small shop: few skus, little stock, a quick replenishment (so
    receipts arrive within the day), reservations on add-to-cart (so carts expire)."""
    folder = tmp_path_factory.mktemp("foreign")
    (folder / "small.toml").write_text(
        f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nhorizon_days = 1\nwarmup_days = 0\n'
        "[arrivals]\nper_hour = 10\n[catalogue]\nlead_days = 0.2\n[catalogue.generate]\n"
        "count = 6\n[catalogue.stock]\nwarehouse = 40\nstore = 3\n[policies.replenishment]\n"
        "review_days = 0.25\nparams.warehouse = { s = 10, S = 40 }\n"
        "params.store = { s = 1, S = 3 }\n"
    )
    result = CliRunner().invoke(cli, ["run", str(folder / "small.toml"), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    (made,) = folder.glob("small-*")
    return made


@pytest.fixture(scope="module")
def made_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("made") / "run")


def kinds_in(run: Path) -> dict[str, int]:
    """Steps per kind the replay sends (the initial stock is the preparation, not a step)."""
    table = read_command_table(run / "commands.parquet").to_pandas()
    kind, reason = table["kind"].astype(str), table["reason"].astype(str)
    notes = [k.name for k in KINDS if not k.sent]  # arrivals, departures, surveys, ...
    sent = kind[~kind.isin(notes)]
    sent = sent[~((sent == "receive_stock") & (reason == "initial"))]
    return {str(k): int(n) for k, n in sent.value_counts().items()}


@pytest.fixture
def shop(request: pytest.FixtureRequest) -> Iterator[str]:
    """The foreign shop on loopback (``oversell``: the sku of the planted bug, by marker),
    with the catalogue of the test's run: its products and locations, no stock (the replay's
    preparation sets it)."""
    marker = request.node.get_closest_marker("oversell")
    app = create_app(admin_password=PASSWORD, oversell=marker.args[0] if marker else None)
    run = request.getfixturevalue(
        "engine_run" if "engine_run" in request.fixturenames else "made_run"
    )
    app.state.shop.stock_catalogue(initial_stock(read_command_table(run / "commands.parquet")))
    with serving(app) as base:
        yield base


def replay(  # noqa: PLR0917
    run: Path,
    base: str,
    face: str | Path,
    out: Path,
    speedup: float,
    check: str = "invariants",
    password: str = PASSWORD,
) -> Replayed:
    env = os.environ | {"FOREIGN_SHOP_PASSWORD": password}
    command = [
        sys.executable, "-m", "simulation.cli", "replay", str(run), "--target", base,
        "--adapter", str(MAPPINGS.get(str(face), face)), "--check", check,
        "--speedup", str(speedup), "--out", str(out),
    ]  # fmt: skip
    return Replayed(run_replay(command, env))


def run_replay(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                          check=False, cwd=ROOT)  # fmt: skip


class Replayed:
    """What a replay printed and wrote."""

    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.code, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr
        lines = [x for x in self.stdout.splitlines() if x.startswith("wrote ")]
        assert lines, self.stdout + self.stderr
        self.folder = Path(lines[-1].removeprefix("wrote "))
        self.verdict = self.stdout.splitlines()[-1]
        self.stats = pd.read_csv(self.folder / "stats.csv").set_index("step")
        self.outcomes = pd.read_parquet(self.folder / "outcomes.parquet")
        self.findings = json.loads((self.folder / "findings.json").read_text())

    def count(self, kind: str, *results: str) -> int:
        if kind not in self.stats.index:
            return 0
        return int(sum(self.stats.loc[kind, r] for r in results))

    def sent(self, kind: str) -> int:
        answered = ("ok", "partial", "refused", "not_found", "unauthorised", "error")
        return self.count(kind, *answered)


def _coverage_holds(done: Replayed, present: dict[str, int]) -> None:
    """Every kind of the run as the mapping declares it: sent and answered without an error,
    left to the shop, or skipped as unsupported; nothing the replay could not send."""
    assert set(present) <= MAPPED | IMPLICIT | UNSUPPORTED
    for kind, n in present.items():
        if kind in MAPPED:
            assert done.sent(kind) == n, (kind, done.stats.loc[kind].to_dict())
            assert done.count(kind, "error", "unauthorised", "not_found", "diverged") == 0, kind
        elif kind in IMPLICIT:
            assert done.count(kind, "implicit") == n, kind
        else:
            assert done.count(kind, "skipped") == n, kind
    skipped = done.outcomes[done.outcomes["result"] == "skipped"]
    assert skipped["detail"].str.startswith("unsupported by the target: ").all()


def test_the_two_runs_hold_every_kind_the_shop_supports(engine_run: Path, made_run: Path) -> None:
    assert set(kinds_in(engine_run)) | set(kinds_in(made_run)) >= MAPPED


@pytest.mark.parametrize("face", ["rest", "graphql"])
def test_an_engine_run_drives_the_shop_with_zero_discrepancies(
    engine_run: Path, shop: str, tmp_path: Path, face: str
) -> None:
    done = replay(engine_run, shop, face, tmp_path, speedup=40000)
    present = kinds_in(engine_run)
    assert done.code in (0, 4), done.stdout + done.stderr  # 4: unsupported steps were skipped
    assert done.verdict.startswith("discrepancies: 0"), done.stdout
    assert done.findings["discrepancies"] == 0
    assert done.findings["coverage"]["stock_read"]
    assert done.findings["coverage"]["orders_read"]
    _coverage_holds(done, present)
    for kind in ("browse", "check_stock", "open_cart", "add_to_cart", "checkout", "pay", "ship",
                 "receive_stock", "abandon"):  # fmt: skip
        assert done.count(kind, "ok") > 0, kind  # what every engine day does, accepted


@pytest.mark.parametrize("face", ["rest", "graphql"])
def test_every_kind_the_shop_supports_runs_and_the_others_are_declared(
    made_run: Path, shop: str, tmp_path: Path, face: str
) -> None:
    """The hand-made run: what the engine never issues (remove from a cart, cancel, write
    off) and a checkout the simulation refuses, which the shop refuses too."""
    done = replay(made_run, shop, face, tmp_path, speedup=1200)
    present = kinds_in(made_run)
    assert done.code == 4, done.stdout + done.stderr  # complete but for the unsupported steps
    assert done.verdict == "discrepancies: 0 (not checked: 2 steps skipped (unsupported))"
    _coverage_holds(done, present)
    assert {k for k in present if k in MAPPED} == MAPPED - {"abandon", "hand_over", "pick_up",
                                                             "check_stock"}  # fmt: skip
    ok = done.outcomes[done.outcomes["result"] == "ok"]
    assert set(ok["step"]) >= {"remove_from_cart", "cancel", "write_off", "return", "expire_hold"}
    (refused,) = done.outcomes[done.outcomes["result"] == "refused"].itertuples()
    assert (refused.customer, refused.step, refused.rule) == (3, "checkout", "stock.insufficient")
    assert refused.status == (409 if face == "rest" else 200)  # GraphQL says no inside a 200
    assert done.findings["notes"] == []  # it decided every step as the simulation did
    written = "".join(
        p.read_bytes().decode("latin-1") for p in done.folder.rglob("*") if p.is_file()
    )
    assert PASSWORD not in done.stdout + done.stderr + written


@pytest.mark.parametrize(
    ("face", "change", "status"),
    [
        ("rest", 'headers = { Accept = "text/html" }', 406),  # a wrong Accept: 406
        ("graphql", 'auth = "none"', 200),  # no session: UNAUTHENTICATED inside a 200
    ],
)
def test_a_refusal_of_who_asks_is_unauthorised_never_unanswered(  # noqa: PLR0917
    made_run: Path, shop: str, tmp_path: Path, face: str, change: str, status: int
) -> None:
    """Every payment sent as the shop will not take it: each is classified unauthorised (a
    divergence, the shop's answer), none is an error."""
    mapping = tmp_path / f"{face}.toml"
    mapping.write_text(
        MAPPINGS[face].read_text().replace("[steps.pay]\n", f"[steps.pay]\n{change}\n")
    )
    done = replay(made_run, shop, mapping, tmp_path / "out", speedup=1200)
    pays = kinds_in(made_run)["pay"]
    assert done.count("pay", "unauthorised") == pays, done.stats.loc["pay"].to_dict()
    assert int(done.stats["error"].sum()) == 0
    pay = done.outcomes[done.outcomes["step"] == "pay"]
    assert set(pay["status"]) == {status}
    assert set(pay["divergence"]) == {"first"}


def test_a_wrong_admin_password_stops_the_run_before_it_starts(
    made_run: Path, shop: str, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "simulation.cli", "replay", str(made_run), "--target", shop,
               "--adapter", str(MAPPINGS["rest"]), "--out", str(tmp_path / "out")]  # fmt: skip
    done = run_replay(command, os.environ | {"FOREIGN_SHOP_PASSWORD": "not-the-password"})
    assert done.returncode == 3, done.stdout + done.stderr
    assert "login: admin" in done.stderr
    assert "unauthorised" in done.stderr
    assert "not-the-password" not in done.stdout + done.stderr
    assert not (tmp_path / "out").exists()


def test_check_rules_names_the_one_rule_of_the_shop_that_differs(
    made_run: Path, shop: str, tmp_path: Path
) -> None:
    """Held to the simulation's rules, the shop differs in one: staff cancel an order nobody
    collected (foreign-rest.toml maps expire_hold so), where the simulation only ends the hold.
    One finding, with its sentence; its stock agrees with the fold."""
    done = replay(made_run, shop, "rest", tmp_path, speedup=1200, check="rules")
    assert done.code == 1, done.stdout + done.stderr
    (finding,) = done.findings["findings"]
    assert (finding["kind"], finding["cause"]) == (
        "order",
        "an order's cancelled differs from the fold",
    )
    assert finding["examples"][0]["where"] == "order 8 cancelled"


@pytest.mark.oversell(SCARCE)
@pytest.mark.parametrize("face", ["rest", "graphql"])
def test_the_planted_oversell_is_found_and_named(
    made_run: Path, shop: str, tmp_path: Path, face: str
) -> None:
    done = replay(made_run, shop, face, tmp_path, speedup=1200)
    assert done.code == 1, done.stdout + done.stderr
    causes = {f["cause"]: f for f in done.findings["findings"]}
    oversell = causes["sold more than was in stock (oversell)"]
    assert oversell["kind"] == "invariant"
    (example,) = oversell["examples"]  # named by the step that did it, and the sku
    assert example["where"] == f"customer 3 checkout (command 19, t=29): {SCARCE}"
    assert (example["expected"], example["found"]) == (
        f"at most 1 units of {SCARCE} sold",
        "2 committed to orders",
    )
    assert causes["reserved above on hand (or below zero)"]["examples"][0]["where"] == (
        f"WH1/{SCARCE}"
    )
    # that step is the journey's first divergence: accepted where the simulation refused it
    step = done.outcomes[(done.outcomes["customer"] == 3) & (done.outcomes["step"] == "checkout")]
    assert step[["result", "expected", "divergence"]].values.tolist() == [
        ["ok", "stock.insufficient", "first"]
    ]
    (note,) = done.findings["notes"]
    assert note["examples"][0]["where"] == "customer 3 checkout (command 19, t=29)"
    assert note["cause"] == (
        "checkout accepted where the simulation refused: stock.insufficient "
        "(the target's own rules)"
    )
    first = [x for x in done.stdout.splitlines() if x.startswith("invariant: sold more")]
    assert first == [
        "invariant: sold more than was in stock (oversell) (1 row; e.g. customer 3 checkout "
        f"(command 19, t=29): {SCARCE}: expected at most 1 units of {SCARCE} sold, found 2 "
        "committed to orders)"
    ]
    assert done.findings["discrepancies"] == 2  # nothing else: no artefact of the mapping


@pytest.mark.oversell(BESTSELLER)
def test_the_planted_oversell_shows_in_an_engine_runs_final_state(
    engine_run: Path, shop: str, tmp_path: Path
) -> None:
    """In an engine run the simulation never refuses a checkout (it plans against its own
    stock), so the bug shows where the shop put the orders: at its first location, beyond what
    that location has."""
    done = replay(engine_run, shop, "rest", tmp_path, speedup=40000)
    assert done.code == 1, done.stdout + done.stderr
    rows = [(f["cause"], e["where"]) for f in done.findings["findings"] for e in f["examples"]]
    assert rows, done.stdout
    assert all(where.endswith(f"/{BESTSELLER}") for _, where in rows), rows
    assert {cause for cause, _ in rows} <= {
        "reserved above on hand (or below zero)",
        "stock below zero (oversold)",
    }


@pytest.mark.parametrize("face", ["rest", "graphql"])
def test_check_mapping_lists_each_kind_of_the_run_with_its_status(
    made_run: Path, face: str
) -> None:
    command = [sys.executable, "-m", "simulation.cli", "replay", str(made_run), "--adapter",
               str(MAPPINGS[face]), "--check-mapping"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {x.split(":")[0].strip(): x.strip() for x in done.stdout.splitlines() if x[:2] == "  "}
    assert set(lines) == set(kinds_in(made_run))
    assert lines["checkout"] == "checkout: mapped (3 requests) (5 steps)"
    assert (
        lines["deliver"]
        == "deliver: implicit (the carrier delivers; the shop is not told) (1 steps)"
    )
    assert lines["transfer"] == (
        "transfer: unsupported (no transfers between stock locations) (1 steps)"
    )
    assert "lookups: product (read before the run), stock_location (read before the run)" in (
        done.stdout
    )
    assert done.stdout.splitlines()[-1] == "errors: 0"
