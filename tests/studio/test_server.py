"""`omnicanal studio`: it serves a page on 127.0.0.1 within 20 s, and stopping it (SIGINT or
SIGTERM) leaves no process behind."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from simulation.studio.server import free_port
from tests.studio.conftest import outside_pytest, require

require("nicegui", "the studio needs the 'studio' extra (NiceGUI)")


def start_studio(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "studio", "--no-browser", "--port", str(port),
         "--out", str(tmp_path / "results")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=outside_pytest(),
    )  # fmt: skip


def wait_for_page(port: int, within: float) -> str:
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                return str(answer.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_studio_serves_within_20_s_and_stops_leaving_no_process(
    tmp_path: Path, stop: signal.Signals
) -> None:
    port = free_port()
    studio = start_studio(tmp_path, port)
    try:
        page = wait_for_page(port, within=20.0)
        assert "omnicanal studio" in page
        family = [studio.pid] + [p.pid for p in psutil.Process(studio.pid).children(True)]
        studio.send_signal(stop)
        studio.wait(timeout=15)
    finally:
        if studio.poll() is None:
            studio.kill()
    alive = [pid for pid in family if psutil.pid_exists(pid) and _not_zombie(pid)]
    assert alive == []
    out = studio.stdout.read().decode() if studio.stdout else ""
    assert f"serving http://127.0.0.1:{port}" in out


def test_every_asset_of_the_page_is_served_from_the_studio_itself(tmp_path: Path) -> None:
    port = free_port()
    studio = start_studio(tmp_path, port)
    try:
        page = wait_for_page(port, within=20.0)
    finally:
        studio.terminate()
        studio.wait(timeout=15)
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert any(a.startswith("/_nicegui/") for a in assets)
    remote = [a for a in assets if re.match(r"(https?:)?//", a)]
    assert remote == []


def test_a_taken_port_is_refused_naming_it(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "simulation.cli", "studio", "--no-browser", "--port",
             str(port)],
            check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path,
            env=outside_pytest(),
        )  # fmt: skip
    assert done.returncode == 2
    assert f"--port: expected a free port on 127.0.0.1, got '{port}" in done.stderr


def _not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_the_command_says_what_it_serves_and_its_options() -> None:
    from typer.testing import CliRunner

    from simulation.cli import app

    done = CliRunner().invoke(app, ["studio", "--help"])
    assert done.exit_code == 0
    for option in ("--port", "--no-browser", "--out", "127.0.0.1"):
        assert option in done.output
