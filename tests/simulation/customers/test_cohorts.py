"""Retention by cohort: hand-made visit lists, and a plain Python oracle on random ones."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import projections as P
from simulation.api import run
from simulation.customers import cohorts
from simulation.demo import run_demo
from simulation.eventlog import table_to_frame
from simulation.results import COHORTS

DAY = 1440.0
BASELINE = Path(__file__).resolve().parents[3] / "scenarios" / "baseline.toml"


def _visits(rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    """A log of ``CustomerArrived`` events only: (replication, customer, day)."""
    frame = table_to_frame(
        pa.table(
            {
                "seq": range(1, len(rows) + 1),
                "t": [d * DAY for _, _, d in rows],
                "type": ["CustomerArrived"] * len(rows),
                "customer": [c for _, c, _ in rows],
                "channel": ["web"] * len(rows),
                "segment": ["s"] * len(rows),
                "replication": [r for r, _, _ in rows],
            }
        )
    )
    for name, kind in SCHEMA_TYPES.items():
        if name not in frame:
            frame[name] = pd.Series(index=frame.index, dtype=kind)
    frame = frame.astype(SCHEMA_TYPES)[list(SCHEMA_TYPES)]
    return frame.sort_values(["replication", "t"], kind="stable", ignore_index=True)


SCHEMA_TYPES = {
    name: "category" if isinstance(kind, pd.CategoricalDtype) else kind
    for name, kind in run_demo().log.to_frame().dtypes.items()
}


# Customer 1 comes on days 0, 8 and 9 (weeks 0, 1, 1); 2 on day 3 only; 3 on days 8 and 22
# (weeks 1, 3); 4 on day 15 (week 2). Twenty-two days hold three whole weeks.
HAND = _visits([(0, 1, 0.0), (0, 2, 3.0), (0, 1, 8.0), (0, 3, 8.5), (0, 1, 9.0),
                (0, 4, 15.0), (0, 3, 22.0)])  # fmt: skip


def test_the_cohort_table_by_hand() -> None:
    weeks = cohorts.whole_weeks(HAND, 22 * DAY, 0.0)
    assert weeks == 3
    table = cohorts.cohorts(cohorts.visit_weeks(HAND), weeks)
    assert table.to_dict("records") == [
        {"replication": 0, "cohort_week": 0, "weeks_since": 0, "customers": 2, "active": 2,
         "retention": 1.0},
        {"replication": 0, "cohort_week": 0, "weeks_since": 1, "customers": 2, "active": 1,
         "retention": 0.5},
        {"replication": 0, "cohort_week": 0, "weeks_since": 2, "customers": 2, "active": 0,
         "retention": 0.0},
        {"replication": 0, "cohort_week": 1, "weeks_since": 0, "customers": 1, "active": 1,
         "retention": 1.0},
        {"replication": 0, "cohort_week": 1, "weeks_since": 1, "customers": 1, "active": 0,
         "retention": 0.0},
        {"replication": 0, "cohort_week": 2, "weeks_since": 0, "customers": 1, "active": 1,
         "retention": 1.0},
    ]  # fmt: skip


def test_week_1_retention_counts_only_cohorts_with_a_whole_week_after() -> None:
    back = cohorts.came_back(cohorts.visit_weeks(HAND), 3)
    assert back.drop((0, 4)).to_dict() == {(0, 1): 1.0, (0, 2): 0.0, (0, 3): 0.0}
    assert math.isnan(back[0, 4])  # first seen in week 2: week 3 is not a whole week
    row = P.kpis(HAND, horizon=22 * DAY).iloc[0]
    assert row["retention_week_1"] == pytest.approx(1 / 3)
    assert row["repeat_visit_rate"] == pytest.approx(2 / 4)


def test_the_warm_up_moves_week_0_and_drops_customers_seen_in_it() -> None:
    visits = cohorts.visit_weeks(HAND, warmup=7 * DAY)
    assert sorted(visits["customer"].unique().tolist()) == [3, 4]
    table = cohorts.cohorts(visits, cohorts.whole_weeks(HAND, 22 * DAY, 7 * DAY))
    assert table[["cohort_week", "weeks_since", "active"]].values.tolist() == [
        [0, 0, 1], [0, 1, 0], [1, 0, 1],
    ]  # fmt: skip


def test_pooled_retention_sums_the_cohorts() -> None:
    table = cohorts.cohorts(cohorts.visit_weeks(HAND), 3)
    pooled = cohorts.pooled_retention(table).set_index("weeks_since")
    assert pooled.loc[1, "retention"] == pytest.approx(1 / 3)
    assert pooled.loc[2, "customers"] == 2


def _oracle(rows: list[tuple[int, int, float]], weeks: int) -> dict[tuple[int, int, int], int]:
    """(replication, cohort, weeks since) -> customers active, counted one visit at a time."""
    first: dict[tuple[int, int], float] = {}
    for r, c, d in rows:
        first[r, c] = min(first.get((r, c), math.inf), d)
    active: dict[tuple[int, int, int], set[int]] = {}
    for (r, _), d in first.items():
        cohort = math.floor(d / 7)
        for since in range(weeks - cohort):
            active.setdefault((r, cohort, since), set())
    for r, c, d in rows:
        cohort, week = math.floor(first[r, c] / 7), math.floor(d / 7)
        if week < weeks:
            active[r, cohort, week - cohort].add(c)
    return {k: len(v) for k, v in active.items()}


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 1), st.integers(1, 12), st.floats(0, 40, allow_nan=False)),
        min_size=1, max_size=60,
    ),
    weeks=st.integers(0, 6),
)  # fmt: skip
def test_the_cohort_table_is_the_plain_count(
    rows: list[tuple[int, int, float]], weeks: int
) -> None:
    table = cohorts.cohorts(cohorts.visit_weeks(_visits(rows)), weeks)
    got = {(r.replication, r.cohort_week, r.weeks_since): r.active for r in table.itertuples()}
    assert got == _oracle(rows, weeks)


def test_a_run_writes_cohorts_csv_and_the_retention_curve(tmp_path: Path) -> None:
    done = run(
        BASELINE, out=tmp_path, seed=2,
        overrides={"horizon_days": 15, "arrivals.per_hour": 3, "catalogue.generate.count": 20},
    )  # fmt: skip
    assert done.folder is not None
    written = pd.read_csv(done.folder / COHORTS)
    again = cohorts.cohorts(cohorts.visit_weeks(done.log), 2)  # 15 days: two whole weeks
    pd.testing.assert_frame_equal(written, again, check_dtype=False)
    assert written[["cohort_week", "weeks_since"]].values.tolist() == [[0, 0], [0, 1], [1, 0]]
    assert (done.folder / "figures" / "retention.png").exists()
    week_1 = written[written["weeks_since"] == 1].iloc[0]
    assert done.kpis["retention_week_1"].iloc[0] == pytest.approx(week_1["retention"])
