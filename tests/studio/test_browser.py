"""The studio in a real browser (Debian's Chromium, driven by Playwright): an invalid field
shows the CLI's error at the field, a tiny scenario runs to completion and its KPI on the
page equals kpis.csv, two results are compared, a cancel stops a run, and a scenario saved
from the page runs with `omnicanal run` as it is. Screenshots: see conftest.ARTEFACTS."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.report.numbers import kpi_value
from tests.studio.conftest import Studio, require, shot, stop

require("playwright", "playwright is not installed (it is in the dev extra)")
from playwright.sync_api import expect  # noqa: E402

TINY = {"horizon_days": "1", "arrivals.per_hour": "6", "catalogue.generate.count": "10"}


def open_group(page: Any, *paths: str) -> None:
    for path in paths:
        group = page.get_by_test_id(f"group-{path}")
        if "q-expansion-item--expanded" not in (group.get_attribute("class") or ""):
            group.locator(".q-item").first.click()


def fill(page: Any, path: str, value: str) -> None:
    parts = path.split(".")
    open_group(page, *(".".join(parts[:i]) for i in range(1, len(parts))))
    page.locator(f"[data-path='{path}']").fill(value)


def make_tiny(page: Any) -> None:
    for path, value in TINY.items():
        fill(page, path, value)
    expect(page.get_by_test_id("changes")).to_contain_text(f"{len(TINY)} change(s)")


def run_on_page(page: Any, replications: int, workers: int = 1) -> None:
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("replications").fill(str(replications))
    page.get_by_test_id("workers").fill(str(workers))
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("done:", timeout=90_000)


def newest(results: Path) -> Path:
    return max((p for p in results.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)


def test_an_invalid_value_shows_the_clis_error_at_its_field(page: Any) -> None:
    fill(page, "horizon_days", "-3")
    wanted = "horizon_days: expected greater than 0, got -3.0"
    field = page.locator(".q-field", has=page.locator("[data-path='horizon_days']"))
    expect(field).to_have_class(re.compile(r"q-field--error"))
    expect(field).to_contain_text(wanted)
    expect(page.get_by_test_id("error")).to_have_text(wanted)
    shot(page, "build-error-at-field")
    fill(page, "horizon_days", "7")
    expect(field).not_to_have_class(re.compile(r"q-field--error"))


def test_a_tiny_run_completes_and_its_kpis_on_the_page_equal_kpis_csv(
    page: Any, studio: Studio
) -> None:
    make_tiny(page)
    run_on_page(page, replications=2)
    for r in range(2):
        expect(page.get_by_test_id(f"replication-{r}")).to_contain_text("done")
    expect(page.get_by_test_id("cancel")).to_be_disabled()
    expect(page.get_by_test_id("run")).to_be_enabled()
    folder = newest(studio.results)
    kpis = pd.read_csv(folder / "kpis.csv")
    for kpi in ("orders", "fill_rate", "net_value"):
        shown = page.get_by_test_id(f"kpi-{kpi}").inner_text()
        assert shown == kpi_value(kpi, float(kpis[kpi].mean())), kpi
    shot(page, "run-done")


def test_two_results_are_compared_with_cis_and_a_verdict(page: Any, studio: Studio) -> None:
    from simulation import api

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    small = {"horizon_days": 1, "arrivals.per_hour": 6, "catalogue.generate.count": 10}
    made = [
        api.run(scenarios / "baseline.toml", replications=2, workers=1, out=studio.results,
                overrides=small | change).folder
        for change in ({}, {"policies.allocation.ttl_minutes": 5.0})
    ]  # fmt: skip
    page.get_by_test_id("tab-compare").click()
    page.get_by_role("button", name="Refresh").click()
    page.get_by_test_id("past-results").click()
    for folder in made:
        assert folder is not None
        page.locator(".q-menu .q-item", has_text=folder.name).click()
    page.keyboard.press("Escape")
    page.get_by_test_id("compare-past").click()
    expect(page.get_by_test_id("comparison-table")).to_be_visible()
    expect(page.get_by_test_id("compare-status")).to_contain_text("common random numbers")
    first = pd.read_csv(made[0] / "kpis.csv")  # type: ignore[operator]
    cell = page.get_by_test_id("mean-orders-baseline").inner_text()
    assert cell.startswith(kpi_value("orders", float(first["orders"].mean())) + " [")
    verdict = page.get_by_test_id("verdict-reservations_expired-baseline-2").inner_text()
    assert verdict in {"better", "worse", "no clear difference"}
    expect(page.get_by_test_id("ci-chart").locator("svg")).to_be_visible()
    shot(page, "compare")
    page.get_by_test_id("tab-inside").click()
    page.get_by_test_id("inside-refresh").click()
    page.get_by_test_id("inside-run").click()
    page.locator(".q-menu .q-item", has_text=made[0].name).click()  # type: ignore[union-attr]
    page.get_by_test_id("look").click()
    revenue = page.get_by_test_id("pnl").locator("tr", has_text="Revenue").locator("td").nth(1)
    expect(revenue).to_have_text(kpi_value("revenue", float(first["revenue"].mean())))
    expect(page.get_by_test_id("orders-by-mode")).to_contain_text("click_and_collect")
    expect(page.get_by_test_id("journeys").locator("canvas")).to_be_visible()
    expect(page.get_by_test_id("cohorts")).to_contain_text("came back")
    page.get_by_role("button", name="Export OCEL 2.0").click()
    expect(page.get_by_text("OCEL 2.0 export")).to_be_visible()
    assert (made[0] / "events.ocel.json").is_file()  # type: ignore[operator]
    shot(page, "inside")


def test_a_sweep_draws_a_kpi_against_its_parameter(page: Any, studio: Studio) -> None:
    make_tiny(page)
    page.get_by_test_id("tab-sweep").click()
    page.get_by_test_id("sweep-values").fill("4, 8")
    page.get_by_test_id("sweep-replications").fill("2")
    page.get_by_test_id("sweep-run").click()
    expect(page.get_by_test_id("sweep-status")).to_contain_text("done:", timeout=90_000)
    expect(page.get_by_test_id("sweep-chart").locator("svg")).to_be_visible()
    (folder,) = studio.results.glob("sweep-*")
    summary = pd.read_csv(folder / "summary.csv")
    assert sorted(summary["arrivals.per_hour"].unique()) == [4, 8]
    shot(page, "sweep")


def test_a_cancel_stops_the_run_and_writes_nothing(page: Any, studio: Studio) -> None:
    before = {p.name for p in studio.results.iterdir()}
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("replications").fill("2")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("running")
    shot(page, "run-in-progress")
    page.get_by_test_id("cancel").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("cancelled")
    assert {p.name for p in studio.results.iterdir()} == before


def test_a_scenario_saved_from_the_page_runs_with_omnicanal_run(page: Any, studio: Studio) -> None:
    make_tiny(page)
    target = studio.folder / "saved" / "tiny-from-page.toml"
    page.get_by_test_id("save-path").fill(str(target))
    page.get_by_test_id("save").click()
    expect(page.locator(".q-notification")).to_contain_text("wrote")
    shot(page, "build-saved")
    done = subprocess.run(
        [sys.executable, "-m", "simulation.cli", "run", str(target), "--out",
         str(studio.folder / "cli")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "tiny-from-page: 1 replication(s)" in done.stdout


def test_stopping_the_studio_mid_run_leaves_no_process(page: Any, studio: Studio) -> None:
    """The last test of the module: it stops the studio."""
    import psutil

    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("replications").fill("2")
    page.get_by_test_id("workers").fill("2")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("running")
    deadline = time.monotonic() + 30
    while len(psutil.Process(studio.process.pid).children(recursive=True)) < 3:  # child+workers
        assert time.monotonic() < deadline, "the run's workers never started"
        time.sleep(0.1)
    family = stop(studio.process)
    assert len(family) >= 4
    assert not any(p.name.endswith(".tmp") for p in studio.results.iterdir())
