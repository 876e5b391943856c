"""The command log: every command recorded once, in decision order, each event caused by one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    stream_logs,
)
from simulation.demo import run_demo
from simulation.domain.commands import AddToCart, ReturnItems
from simulation.domain.events import EVENT_TYPES, TouchpointVisited
from simulation.domain.vocabulary import BY_RECORD
from simulation.engine.run import run_replication
from simulation.engine.world import World
from simulation.errors import LogFormatError
from simulation.eventlog import EventLog, iter_events, read_table
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
    commands = world.command_table().to_pandas()
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
    commands = demo.command_table().to_pandas()
    refused = commands[commands["outcome"] != "ok"]
    assert refused["outcome"].astype(str).tolist() == [e.rule for _, e in demo.refused]
    assert len(refused) >= 2
    causes = set(demo.log.to_frame()["command"].astype(int))
    assert causes.isdisjoint(refused["id"])
    assert causes == set(commands["id"]) - set(refused["id"])


def test_steps_count_each_journey(world: World) -> None:
    commands = world.command_table().to_pandas()
    owners = commands["customer"].fillna(-1).astype(int)
    expected = commands.groupby(owners).cumcount() + 1
    assert commands["step"].tolist() == expected.tolist()


@pytest.mark.parametrize("rows", [97, 1000])
def test_streamed_logs_are_the_in_memory_ones(tmp_path: Path, world: World, rows: int) -> None:
    events, commands = tmp_path / "events.parquet", tmp_path / "commands.parquet"
    with stream_logs(events, commands, flush_rows=rows) as (log, command_log):
        run_replication(small_plan(days=2), seed=3, log=log, commands=command_log)
    assert pq.ParquetFile(commands).metadata.num_row_groups > 3
    assert read_command_table(commands).to_pylist() == world.command_table().to_pylist()
    assert read_table(events).to_pylist() == world.log.to_table().to_pylist()


def test_a_refusal_after_the_last_event_is_written(tmp_path: Path) -> None:
    events, commands = tmp_path / "events.parquet", tmp_path / "commands.parquet"
    with stream_logs(events, commands, flush_rows=2) as (log, command_log):
        seen = TouchpointVisited(
            t=SimTime(0.0), customer=CustomerId(1), channel=Channel.WEB, reason="x"
        )
        log.append(seen, command_log.observe())
        command_log.record(_add(), 1, "aggregate.unknown")
    assert read_commands(commands)[["kind", "outcome"]].astype(str).values.tolist() == [
        ["browse", "ok"], ["add_to_cart", "aggregate.unknown"],
    ]  # fmt: skip


def _add() -> AddToCart:
    return AddToCart(at=SimTime(1.0), cart=CartId(1), sku=SkuId("T"), qty=1, unit_price=2.0)


class _Spy(CommandLog):
    """A command log that also keeps every record it is given, for the oracle."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[tuple[int, object, int | None, str]] = []

    def record(self, command: Any, customer: int | None, outcome: str = "ok") -> int:
        cid = super().record(command, customer, outcome)
        self.kept.append((cid, command, customer, outcome))
        return cid


def test_the_merge_is_the_slow_oracle() -> None:
    """Writes from the columns and reads and notes from the events, merged, are the rows that
    writing each command's fields out one by one gives."""
    spy = _Spy()
    world = run_replication(small_plan(days=1), seed=8, commands=spy)
    table = world.command_table()
    log = world.log.to_table()
    expected: dict[int, dict[str, Any]] = {}
    for cid, command, customer, outcome in spy.kept:
        kind = BY_RECORD[type(command)]
        expected[cid] = {"t": float(command.at), "kind": kind.name, "customer": customer,  # type: ignore[attr-defined]
                         "outcome": outcome} | kind.payload_of(command)  # fmt: skip
    for cause, event in zip(log.column("command").to_pylist(), iter_events(log), strict=True):
        kind = BY_RECORD.get(type(event))
        if kind is not None:
            expected[cause] = {"t": float(event.t), "kind": kind.name, "outcome": "ok"} | (
                kind.payload_of(event)
            )
    rows = table.to_pylist()
    assert [row["id"] for row in rows] == sorted(expected)
    for row in rows:
        want = expected[row["id"]]
        assert {k: v for k, v in row.items() if k in want} == want, row["id"]
        absent = set(row) - set(want) - {"id", "step", "replication", "customer"}
        assert all(row[k] is None for k in absent), row["id"]


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
    commands = run_demo().command_table().to_pandas()
    checkout = commands[commands["kind"] == "checkout"].iloc[0]
    assert checkout["legs"][0]["lines"][0]["qty"] >= 1
    assert {"location", "mode", "lines"} == set(checkout["legs"][0])
    returned = commands[commands["kind"] == "return"]
    assert set(returned["restock"]) == {True, False}
    assert set(returned["return_mode"].astype(str)) == {"mail", "store"}
    assert commands.loc[commands["kind"] != "return", "return_mode"].isna().all()


def test_a_bad_value_is_refused_naming_its_field() -> None:
    log = CommandLog()
    log.record(_add(), 1)
    with pytest.raises(LogFormatError, match=r"add_to_cart\.customer: expected an integer"):
        log.record(_add(), "one")  # type: ignore[arg-type]
    assert len(log) == 1
    assert log.record(_add(), 2) == 2
    assert log.to_table(EventLog().to_table())["id"].to_pylist() == [1, 2]


def test_an_unknown_record_is_refused() -> None:
    with pytest.raises(LogFormatError, match="kind"):
        CommandLog().record(object(), 1)


def test_files_of_another_version_or_with_gaps_are_refused(tmp_path: Path) -> None:
    log = CommandLog()
    command = ReturnItems(
        at=SimTime(1.0), order=1, sku=SkuId("T"), qty=1,  # type: ignore[arg-type]
        location=LocationId("S"), return_mode=ReturnMode.MAIL,
    )  # fmt: skip
    log.record(command, 4)
    log.record(command, 4, "return.exceeds_purchase")
    table = log.to_table(EventLog().to_table())
    pq.write_table(table.replace_schema_metadata({VERSION_KEY: b"1"}), tmp_path / "v1.parquet")
    with pytest.raises(LogFormatError, match="schema version 2"):
        read_commands(tmp_path / "v1.parquet")
    gap = table.set_column(0, "id", pa.array([1, 3], pa.int64()))
    pq.write_table(gap.cast(COMMAND_SCHEMA), tmp_path / "gap.parquet")
    with pytest.raises(LogFormatError, match=r"expected 2 \(gapless"):
        read_commands(tmp_path / "gap.parquet")
    written = log.write(tmp_path / "ok.parquet", EventLog().to_table())
    assert read_commands(written)["outcome"].tolist() == [
        "ok", "return.exceeds_purchase",
    ]  # fmt: skip


def test_negative_customers_are_refused() -> None:
    log = CommandLog()
    log.record(_add(), -5)
    with pytest.raises(LogFormatError, match="customer"):
        log.to_table(EventLog().to_table())


def test_every_event_type_of_a_read_or_note_is_registered() -> None:
    assert set(NOTED) <= set(EVENT_TYPES)
