"""``omnicanal validate-model``: flags, errors before any run, JSON records, exit codes."""

from __future__ import annotations

import dataclasses
import inspect
import json

import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.validation import CASES
from simulation.validation.catalogue import PARAMETERS, SPECS
from simulation.validation.command import validate_model

FIELDS = {
    "case", "parameters", "metric", "exact", "mean", "ci_low", "ci_high", "replications",
    "horizon_days", "warmup_days", "inside",
}  # fmt: skip


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate-model", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_records_carry_parameters_replications_and_horizon() -> None:
    code, out, _ = _invoke("--case", "mmc", "--replications", "6", "--seed", "3", "--json")
    assert code == 0, out
    (record,) = json.loads(out)
    assert set(record) == FIELDS
    assert record["parameters"] == {"arrival_rate": 2.0, "service_rate": 1.0, "servers": 3}
    assert (record["replications"], record["horizon_days"], record["warmup_days"]) == (6, 1, 0.25)


def test_json_exits_1_when_a_row_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = dataclasses.replace(CASES["mmc"], exact=lambda p: 100.0)  # type: ignore[type-var]
    monkeypatch.setitem(CASES, "mmc", wrong)
    code, out, _ = _invoke("--case", "mmc", "--replications", "2", "--seed", "3", "--json")
    assert code == 1
    (record,) = json.loads(out)
    assert record["exact"] == 100.0
    assert not record["inside"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--case", "erlang_a", "--abandonment-rate", "0"],
         "--abandonment-rate: expected a finite number > 0, got 0"),
        (["--case", "mmc", "--arrival-rate", "3"], "--arrival-rate: expected a load rho < 1"),
        (["--case", "mmc", "--service-rate", "-1"], "--service-rate: expected a finite number > 0"),
        (["--case", "lost_sales", "--base-stock", "-1"], "--base-stock: expected an integer >= 0"),
        (["--case", "newsvendor", "--demand-sd", "5"], "--demand-sd: expected demand_sd >= sqrt"),
        (["--case", "journey", "--customers", "10"], "--customers: expected an integer >= 100"),
        (["--case", "repeat_visits", "--repeat-rate", "1"],
         "--repeat-rate: expected a probability in [0, 1), got 1.0"),
        (["--case", "repeat_visits", "--repeat-days", "0"],
         "--repeat-days: expected a finite number > 0, got 0"),
        (["--case", "lost_sales", "--servers", "3"],
         "--servers: expected a case that takes it (mmc, little_desk, erlang_a), not lost_sales"),
        (["--servers", "3"], "--servers: expected a case that takes it"),  # all cases: not all
        (["--case", "journey", "--horizon-days", "3"], "not journey"),
        (["--case", "mm1"], f"--case[0]: expected one of {list(SPECS)}, got 'mm1'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated despite bad input")

    for module in ("cases", "inventory", "journey", "retention"):
        monkeypatch.setattr(f"simulation.validation.{module}.run_replications", no_runs)
    code, out, err = _invoke(*args)
    assert code == 2, out + err
    assert err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in out + err


def test_help_lists_every_case_with_its_flags_and_defaults() -> None:
    result = CliRunner().invoke(app, ["validate-model", "--help"], terminal_width=400)
    text = " ".join(result.stdout.split())
    for spec in SPECS.values():
        assert f"{spec.name}: {spec.summary}; {spec.replications} replications" in text
        for name, default in spec.defaults.items():
            shown = "(scenario)" if default is None else f"{default:g}"
            assert f"{PARAMETERS[name].flag} {shown}" in text


def test_every_parameter_has_its_flag() -> None:
    options = set(inspect.signature(validate_model).parameters)
    taken = {name for spec in SPECS.values() for name in spec.defaults}
    assert taken == set(PARAMETERS)
    assert set(PARAMETERS) <= options


def test_the_studies_take_their_options() -> None:
    code, out, _ = _invoke(
        "--case", "risk_pooling", "--stores", "2", "--days", "15", "--holding-cost", "1",
        "--penalty-cost", "4", "--replications", "2", "--seed", "1", "--json",
    )  # fmt: skip
    assert code == 0, out
    records = json.loads(out)
    assert len(records) == 6
    assert {r["case"] for r in records} == {"risk_pooling"}
    assert {r["horizon_days"] for r in records} == {15}
    assert "2 separate stores" in records[0]["metric"]
    assert records[0]["parameters"]["stores"] == 2
