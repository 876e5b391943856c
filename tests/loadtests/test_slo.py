"""SLO gates: thresholds per step and per journey, business checks, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.replay import Outcome, Recorder
from loadtests.slo import check, load_gates
from simulation.errors import InputError


def _recorder() -> Recorder:
    recorder = Recorder()
    for i in range(100):  # checkout: 0.1 s each, the last five 2 s late to send
        late = 2.0 if i >= 95 else 0.0
        recorder.add(Outcome(i, "checkout", 0.0, i, {}, "ok", 200, 0.0, late, late + 0.1))
    recorder.add(Outcome(1, "pay", 0.0, 200, {}, "error", 0, 0.0, 0.0, 5.0))
    recorder.add(Outcome(2, "pay", 0.0, 201, {}, "refused", 409, 0.0, 0.0, 0.05))
    recorder.journey(3.0)
    return recorder


def test_gates_pass_and_fail_on_what_was_measured(tmp_path: Path) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(
        "[defaults]\nerror_rate = 0.01\n"
        "[steps.checkout]\np90_ms = 150\np99_ms = 1000\nactual_p99_ms = 150\nlag_p99_ms = 100\n"
        "[journey]\np95_ms = 2000\n"
        "[business]\nmax_discrepancies = 0\nmin_accept_rate = 0.995\n"
    )
    verdicts = {(g.scope, g.name): g for g in check(load_gates(path), _recorder(), discrepancies=2)}
    assert verdicts["step checkout", "p90_ms"].passed  # 90% answered within 0.1 s of plan
    assert not verdicts["step checkout", "p99_ms"].passed  # the late five: 2.1 s from plan
    assert verdicts["step checkout", "p99_ms"].value == pytest.approx(2100, rel=1e-3)
    assert verdicts["step checkout", "actual_p99_ms"].passed  # hidden from the actual send
    assert not verdicts["step checkout", "lag_p99_ms"].passed
    assert not verdicts["step pay", "error_rate"].passed  # 1 of 2 sent
    assert verdicts["step pay", "error_rate"].value == pytest.approx(0.5)
    assert not verdicts["journey", "p95_ms"].passed
    assert not verdicts["business", "discrepancies"].passed
    assert verdicts["business", "accept_rate"].value == pytest.approx(100 / 101)
    assert not verdicts["business", "accept_rate"].passed


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[speed]\np95_ms = 1\n", "speed"),
        ("[defaults]\np95 = 1\n", "defaults.p95"),
        ('[steps.pay]\np95_ms = "fast"\n', "steps.pay.p95_ms"),
        ("[business]\np95_ms = 3\n", "business.p95_ms"),
        ("[defaults\n", "valid TOML"),
    ],
)
def test_a_bad_gates_file_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_gates(path)
    assert field in str(error.value)
