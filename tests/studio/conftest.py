"""The studio served for the browser tests, and Debian's Chromium driven by Playwright.

Under CI (CI=true) these tests must run: a missing Chromium or Playwright fails them. Outside
CI they skip, saying why. Screenshots go to results/test-artefacts/studio/ (or the folder
OMNICANAL_TEST_ARTEFACTS names).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("OMNICANAL_TEST_ARTEFACTS", ROOT / "results" / "test-artefacts"))


def outside_pytest() -> dict[str, str]:
    """The environment without PYTEST_CURRENT_TEST: NiceGUI serves nothing under pytest."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must run the studio's tests)")
    pytest.skip(reason, allow_module_level=True)


def require(module: str, reason: str) -> None:
    """Import ``module`` or skip saying ``reason``; under CI, fail instead."""
    try:
        __import__(module)
    except ImportError:
        _missing(reason)


@dataclass
class Studio:
    url: str
    results: Path
    folder: Path
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    """``omnicanal studio --no-browser`` on a free port, results in a folder of its own;
    stopped at the end, leaving no process (checked)."""
    require("nicegui", "the studio needs the 'studio' extra (NiceGUI)")
    from simulation.studio.server import free_port

    folder = tmp_path_factory.mktemp("studio")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "studio", "--no-browser", "--port", str(port),
         "--out", str(folder / "results")],
        cwd=folder, env=outside_pytest(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"the studio did not serve {url} within 20 s")
            time.sleep(0.2)
    yield Studio(url, folder / "results", folder, process)
    if process.poll() is None:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> list[int]:
    """SIGTERM the studio; the processes it had, every one of them gone (checked)."""
    family = [process.pid, *(c.pid for c in psutil.Process(process.pid).children(True))]
    process.terminate()
    process.wait(timeout=20)
    time.sleep(0.3)
    assert [p for p in family if _alive(p)] == [], "the studio left processes behind"
    return family


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing (make installs Debian's chromium)")
    require("playwright", "playwright is not installed (it is in the dev extra)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, studio: Studio) -> Iterator[Any]:
    opened = browser.new_page(viewport={"width": 1400, "height": 1000})
    opened.set_default_timeout(30_000)
    opened.goto(studio.url)
    opened.wait_for_selector("[data-path='horizon_days']")
    yield opened
    opened.close()


def shot(page: Any, name: str) -> Path:
    """A screenshot of what the browser shows, kept as a test artefact."""
    ARTEFACTS.joinpath("studio").mkdir(parents=True, exist_ok=True)
    target = ARTEFACTS / "studio" / f"{name}.png"
    page.screenshot(path=str(target))
    return target


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
