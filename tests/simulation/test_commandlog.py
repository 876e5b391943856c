"""The command log: every command recorded once, in decision order, each event caused by one."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.api import run
from simulation.columns import VERSION_KEY
from simulation.commandlog import (
    COMMAND_SCHEMA,
    CommandLog,
    read_command_table,
    read_commands,
    stream_commands_to,
)
from simulation.demo import run_demo
from simulation.domain.commands import AddToCart, ReturnItems
from simulation.domain.events import EVENT_TYPES, TouchpointVisited
from simulation.domain.vocabulary import BY_RECORD
from simulation.engine.run import run_replication
from simulation.engine.world import World
from simulation.errors import LogFormatError
from simulation.results import COMMANDS, EVENTS, sha256
from simulation.types import CartId, Channel, CustomerId, LocationId, ReturnMode, SimTime, SkuId
from tests.simulation.plans import small_plan

NOTED = {cls.TYPE: kind.name for cls, kind in BY_RECORD.items() if kind.role != "write"}
"""The event type of each read and note, and its kind."""


@pytest.fixture(scope="module")
def world() -> World:
    return run_replication(small_plan(days=2), seed=3)


def test_every_event_names_the_command_that_caused_it(world: World) -> None:
    events = world.log.to_frame()
    commands = world.commands.to_table().to_pandas()
    assert commands["id"].tolist() == list(range(1, len(commands) + 1))
    causes = events["command"]
    assert causes.notna().all()
    assert causes.is_monotonic_increasing  # a command's events are together, in its order
    kind_of = dict(zip(commands["id"], commands["kind"].astype(str), strict=True))
    for kind_name, cause in zip(events["type"].astype(str), causes, strict=True):
        made_by = kind_of[int(cause)]
        if kind_name in NOTED:
            assert made_by == NOTED[kind_name]
        else:
            assert made_by not in NOTED.values()
    assert len(commands) > 1000


def test_refusals_are_recorded_with_their_rule_and_cause_nothing() -> None:
    demo = run_demo()
    commands = demo.commands.to_table().to_pandas()
    refused = commands[commands["outcome"] != "ok"]
    assert refused["outcome"].astype(str).tolist() == [e.rule for _, e in demo.refused]
    assert len(refused) >= 2
    causes = set(demo.log.to_frame()["command"].astype(int))
    assert causes.isdisjoint(refused["id"])
    assert causes == set(commands["id"]) - set(refused["id"])


def test_steps_count_each_journey(world: World) -> None:
    commands = world.commands.to_table().to_pandas()
    owners = commands["customer"].fillna(-1).astype(int)
    expected = commands.groupby(owners).cumcount() + 1
    assert commands["step"].tolist() == expected.tolist()


def test_a_streamed_log_is_the_in_memory_one(tmp_path: Path, world: World) -> None:
    path = tmp_path / "commands.parquet"
    with stream_commands_to(path, flush_rows=97) as log:
        run_replication(small_plan(days=2), seed=3, commands=log)
    assert pq.ParquetFile(path).metadata.num_row_groups > 10
    assert read_command_table(path).to_pylist() == world.commands.to_table().to_pylist()


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    small = {"horizon_days": 1, "warmup_days": 0, "arrivals.per_hour": 20}
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
    first = run(scenario, seed=11, overrides=small, out=tmp_path / "a").folder
    second = run(scenario, seed=11, overrides=small, out=tmp_path / "b").folder
    assert first is not None
    assert second is not None
    for name in (EVENTS, COMMANDS):
        assert sha256(first / name) == sha256(second / name), name
    assert len(read_commands(first / COMMANDS)) > 100


def test_a_payload_keeps_its_fields() -> None:
    commands = run_demo().commands.to_table().to_pandas()
    checkout = commands[commands["kind"] == "checkout"].iloc[0]
    assert checkout["legs"][0]["lines"][0]["qty"] >= 1
    assert {"location", "mode", "lines"} == set(checkout["legs"][0])
    returned = commands[commands["kind"] == "return"]
    assert set(returned["restock"]) == {True, False}
    assert set(returned["return_mode"].astype(str)) == {"mail", "store"}
    assert commands.loc[commands["kind"] != "return", "return_mode"].isna().all()


def test_a_bad_value_is_named_when_the_table_is_built() -> None:
    log = CommandLog()
    log.record(AddToCart(at=SimTime(1.0), cart=CartId(1), sku=SkuId("T"), qty=1, unit_price=2.0), 1)
    bad = TouchpointVisited(t=SimTime(2.0), customer=CustomerId(1), channel=Channel.WEB, reason=3)  # type: ignore[arg-type]
    log.record(bad, 1)
    with pytest.raises(LogFormatError, match=r"browse\.reason: expected a string"):
        log.to_table()


def test_an_unknown_record_is_refused() -> None:
    log = CommandLog()
    log.record(object(), 1)
    with pytest.raises(LogFormatError, match="kind"):
        log.to_table()


def test_files_of_another_version_or_with_gaps_are_refused(tmp_path: Path) -> None:
    log = CommandLog()
    command = ReturnItems(
        at=SimTime(1.0), order=1, sku=SkuId("T"), qty=1,  # type: ignore[arg-type]
        location=LocationId("S"), return_mode=ReturnMode.MAIL,
    )  # fmt: skip
    log.record(command, 4)
    log.record(command, 4, "return.exceeds_purchase")
    table = log.to_table()
    pq.write_table(table.replace_schema_metadata({VERSION_KEY: b"1"}), tmp_path / "v1.parquet")
    with pytest.raises(LogFormatError, match="schema version 2"):
        read_commands(tmp_path / "v1.parquet")
    gap = table.set_column(0, "id", pa.array([1, 3], pa.int64()))
    pq.write_table(gap.cast(COMMAND_SCHEMA), tmp_path / "gap.parquet")
    with pytest.raises(LogFormatError, match=r"expected 2 \(gapless"):
        read_commands(tmp_path / "gap.parquet")
    assert read_commands(log.write(tmp_path / "ok.parquet"))["outcome"].tolist() == [
        "ok", "return.exceeds_purchase",
    ]  # fmt: skip


def test_negative_customers_are_refused() -> None:
    log = CommandLog()
    log.record(run_demo().commands.to_table(), -5)  # any record: the owner fails first
    with pytest.raises(LogFormatError, match="customer"):
        log.to_table()


def test_every_event_type_of_a_read_or_note_is_registered() -> None:
    assert set(NOTED) <= set(EVENT_TYPES)
