"""Coverage is part of the verdict: what was not checked is said, and decides the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.adapters.base import TargetState
from loadtests.findings import Coverage, verdict
from loadtests.recorder import RESULTS
from loadtests.run import INCOMPLETE, Outcome, Settings
from simulation.errors import InputError

STATE = TargetState({("S01", "A"): (1, 0)}, {})


def _counts(**by_result: int) -> dict[str, dict[str, int]]:
    return {"add_to_cart": dict.fromkeys(RESULTS, 0) | by_result}


def test_a_complete_run_says_a_bare_count() -> None:
    coverage = Coverage.of(_counts(ok=5, refused=2, not_run=3), STATE)
    assert (coverage.sent, coverage.not_run) == (7, 3)
    assert coverage.complete
    assert verdict(0, coverage) == "discrepancies: 0"  # the run time was asked for


def test_skipped_steps_and_an_unread_state_are_never_a_bare_zero() -> None:
    coverage = Coverage.of(_counts(ok=5, skipped=73, diverged=4, implicit=2), TargetState(None))
    assert not coverage.complete
    assert verdict(0, coverage) == (
        "discrepancies: 0 (not checked: 73 steps skipped (unsupported); the final stock was not "
        "read; the final orders were not read; 4 steps not sent after a divergence)"
    )
    assert coverage.line() == (
        "coverage: 5 steps sent, 2 implicit, 73 skipped (unsupported), 4 not sent after a "
        "divergence, 0 not run; final state: stock NOT read, orders NOT read"
    )


def test_steps_not_sent_after_a_divergence_are_said_but_complete() -> None:
    coverage = Coverage.of(_counts(ok=5, diverged=4), STATE)
    assert coverage.complete  # the divergence is a finding (or a rule difference) itself
    assert (
        verdict(1, coverage)
        == "discrepancies: 1 (not checked: 4 steps not sent after a divergence)"
    )


def test_the_exit_code_of_incomplete_coverage(tmp_path: Path) -> None:
    incomplete = Coverage.of(_counts(ok=5, skipped=1), STATE)
    complete = Coverage.of(_counts(ok=5), STATE)
    assert Outcome(tmp_path, [], [], incomplete).exit_code == INCOMPLETE == 4
    assert Outcome(tmp_path, [], [], complete).exit_code == 0
    unanswered = Coverage.of(_counts(ok=5, error=1), STATE, unanswered=1)  # --check invariants
    assert Outcome(tmp_path, [], [], unanswered).exit_code == INCOMPLETE


def test_an_unknown_check_names_the_option(tmp_path: Path) -> None:
    settings = Settings(results=tmp_path, target="http://127.0.0.1:1", check_mode="vibes")
    with pytest.raises(InputError, match=r"--check: expected rules or invariants, got 'vibes'"):
        settings.check()
