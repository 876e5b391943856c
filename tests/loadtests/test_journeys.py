"""Journeys from a command log: who did what, in order; the steps replayed through the domain
rebuild the event log exactly, with the same refusals; and the replay schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.commands import command_of
from loadtests.journeys import OPERATIONS, Journey, initial_stock, journeys, schedule, shard
from loadtests.reconcile import expected_backend
from simulation.demo import run_demo
from simulation.domain.errors import DomainError
from simulation.engine.compile import plan_of
from simulation.engine.run import run_replication
from simulation.engine.world import World
from simulation.eventlog import iter_events, rebuild
from simulation.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
OBSERVATIONS = {"CustomerArrived", "TouchpointVisited", "StockChecked", "SaleLost", "CustomerLeft"}


@pytest.fixture(scope="module")
def found() -> list[Journey]:
    return journeys(run_demo().command_table())


def test_a_cart_started_in_the_app_and_finished_in_store(found: list[Journey]) -> None:
    first = next(j for j in found if j.customer == 1)
    assert [s.kind for s in first.steps] == [
        "browse", "browse", "open_cart", "add_to_cart", "move_cart", "checkout", "pay", "hand_over",
    ]  # fmt: skip
    add = first.steps[3]
    assert add.data == {
        "cart": 1, "sku": "TEE", "qty": 2, "unit_price": 19.9, "reserve_at": "S01", "ttl": 120.0,
    }  # fmt: skip
    assert add.expected == "ok"
    checkout = first.steps[5]
    assert checkout.data["legs"] == [
        {"location": "S01", "mode": "carry_out", "lines": [{"sku": "TEE", "qty": 2}]}
    ]


def test_every_customer_is_there_once_in_start_order(found: list[Journey]) -> None:
    assert sorted(j.customer for j in found if j.customer != OPERATIONS) == list(range(1, 10))
    starts = [j.start for j in found]
    assert starts == sorted(starts)
    for j in found:
        assert [s.t for s in j.steps] == sorted(s.t for s in j.steps)
        assert [s.command for s in j.steps] == sorted(s.command for s in j.steps)


def test_refused_commands_are_steps_with_their_rule(found: list[Journey]) -> None:
    fifth = next(j for j in found if j.customer == 5)
    assert [(s.kind, s.expected) for s in fifth.steps] == [
        ("check_stock", "ok"), ("open_cart", "ok"), ("add_to_cart", "stock.insufficient"),
        ("abandon", "ok"),
    ]  # fmt: skip


def test_notes_and_the_initial_stock_are_not_steps(found: list[Journey]) -> None:
    kinds = {s.kind for j in found for s in j.steps}
    assert kinds.isdisjoint({"arrive", "leave", "lose_sale"})
    receipts = [s for j in found for s in j.steps if s.kind == "receive_stock"]
    assert [s.data["reason"] for s in receipts] == ["replenishment"]
    assert initial_stock(run_demo().command_table())[("WH1", "TEE")] > 0


def test_back_office_steps_are_marked_and_can_be_left_out(found: list[Journey]) -> None:
    office = {s.kind for j in found for s in j.steps if s.actor == "back_office"}
    assert {"ship", "deliver", "hold", "expire_hold"} <= office
    own = journeys(run_demo().command_table(), back_office=False)
    kinds = {s.kind for j in own for s in j.steps}
    assert kinds.isdisjoint(office)
    assert {"pick_up", "return", "cancel", "abandon", "check_stock"} <= kinds


def _small_run(name: str, days: int = 3) -> World:
    text = f'extends = "{SCENARIOS / name}"\nhorizon_days = {days}\nwarmup_days = 0\n'
    path = Path(__file__).parent / f".tmp-{Path(name).name}"
    path.write_text(text)
    try:
        return run_replication(plan_of(load_scenario(path)), seed=5)
    finally:
        path.unlink()


@pytest.mark.parametrize(
    ("name", "days"),
    [
        ("baseline.toml", 3),
        ("ship-from-store.toml", 3),
        ("pooled-vs-siloed.toml", 3),
        ("validation/backorders.toml", 200),
    ],
)
def test_the_steps_through_the_domain_rebuild_the_log(name: str, days: int) -> None:
    """Every state-changing event of the log comes back, in order, from the steps' commands
    (after the initial stock, which the replay's preparation puts there), each from the
    command its row names, and every refusal is refused again by the same rule."""
    world = _small_run(name, days)
    log, commands = world.log.to_frame(), world.command_table()
    backend = expected_backend(initial_stock(commands))
    steps = sorted((s for j in journeys(commands) for s in j.steps), key=lambda s: s.command)
    made: list[tuple[int, object]] = []
    answers: list[tuple[str, str]] = []
    for step in steps:
        command = command_of(step)
        if command is None:
            continue
        try:
            made += [(step.command, e) for e in backend.handle(command)]
            answers.append((step.expected, "ok"))
        except DomainError as error:
            answers.append((step.expected, error.rule))
    assert all(expected == got for expected, got in answers)
    changes = log[~log["type"].isin(OBSERVATIONS)]
    changes = changes[~((changes["type"] == "StockReceived") & (changes["reason"] == "initial"))]
    wanted = list(zip(changes["command"].tolist(), iter_events(changes), strict=True))
    if name != "pooled-vs-siloed.toml":  # there fences interleave with the initial receipts
        assert made == wanted
    assert sorted(map(repr, made)) == sorted(map(repr, wanted))
    assert sum(got != "ok" for _, got in answers) == sum(world.refused.values())
    final = rebuild(log)
    assert backend.stock == final.stock
    assert backend.orders == final.orders
    assert len(made) > 1000


def test_schedule_compresses_time_and_shards_cover_everyone(found: list[Journey]) -> None:
    plan = schedule(found, speedup=60.0)
    assert plan[0].start == 0.0
    second = next(s for s in plan if s.journey.customer == 2)
    assert plan[0].journey.customer == OPERATIONS  # the back office starts at t=0
    assert second.offsets[:2] == (30.0, 31.0)  # t=30 and 31 minutes: a minute is a second
    shards = [list(shard(plan, i, 3)) for i in range(3)]
    everyone = sorted(j.customer for j in found)
    assert sorted(s.journey.customer for part in shards for s in part) == everyone
    with pytest.raises(ValueError, match="speedup must be > 0, got 0"):
        schedule(found, speedup=0)
