"""The wheel: what it holds, and omnicanal installed from it into a fresh venv, used from a
folder outside the checkout (run, validate-model, init, serve and a tiny replay on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"simulation", "loadtests"}


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout's files: the build writes nothing into the
    checkout, and a stale build/ folder there cannot slip old modules in."""
    source = tmp_path_factory.mktemp("source")
    for name in _tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        check=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("omnicanal-*.whl")
    return built


def test_the_wheel_holds_every_module_and_the_data_and_no_tests(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {PurePosixPath(n).parts[0] for n in names if ".dist-info/" not in n}
    assert tops == PACKAGES  # tests/ and benchmarks/ are not importable from the wheel
    modules = {n for n in _tracked_files() if n.endswith(".py") and n.split("/")[0] in PACKAGES}
    missing = sorted(modules - names)
    assert not missing, f"add their packages to [tool.setuptools] packages: {missing}"
    shipped = {
        "simulation/scenario/shipped/" + str(p.relative_to(ROOT / "scenarios"))
        for p in (ROOT / "scenarios").rglob("*.toml")
    }
    assert "simulation/scenario/shipped/validation/mmc.toml" in shipped
    data = {"loadtests/adapters/reference.toml", "simulation/py.typed", "loadtests/py.typed"}
    assert shipped | data <= names


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve exited {server.returncode}: {server.communicate()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"serve did not answer {url} within {seconds} s")


@pytest.mark.wheel
def test_the_installed_wheel_works_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    # A venv of its own (no system site-packages, which would see the checkout's editable
    # install); dependencies come from pip's cache or the index.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True, timeout=600,
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    omnicanal = str(venv / "bin" / "omnicanal")

    def run(
        *args: str, timeout: float = 120, token: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        given = env if token is None else {**env, "OMNICANAL_API_TOKEN": token}
        done = subprocess.run(
            args, cwd=work, env=given, capture_output=True, text=True, timeout=timeout, check=False
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    where = run(str(venv / "bin" / "python"), "-c", "import simulation; print(simulation.__file__)")
    assert where.stdout.startswith(str(venv)), where.stdout

    ran = run(omnicanal, "run", "baseline", "--set", "horizon_days=0.25")
    (results,) = (work / "results").glob("baseline-*")
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["overrides"] == {"horizon_days": 0.25}
    assert manifest["git_revision"] is None  # not the checkout's: the wheel ran
    assert f"wrote results/{results.name}" in ran.stdout

    checked = run(omnicanal, "validate-model", "--case", "mmc", "--replications", "2")
    assert "mmc" in checked.stdout

    run(omnicanal, "init")
    assert (work / "omnicanal-scenarios" / "adapters" / "reference.toml").is_file()
    extended = run(omnicanal, "validate", "omnicanal-scenarios/black-friday.toml")
    assert "valid scenario 'black-friday'" in extended.stdout

    port = _free_port()
    token = secrets.token_hex(16)
    server = subprocess.Popen(
        [omnicanal, "serve", "--db", "memory", "--port", str(port)],
        cwd=work, env={**env, "OMNICANAL_API_TOKEN": token},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/catalogue", server, seconds=60)
        replayed = run(
            omnicanal, "replay", str(results), "--target", f"http://127.0.0.1:{port}",
            "--speedup", "3000", "--run-time", "30", timeout=120, token=token,
        )  # fmt: skip
        text = " ".join(replayed.stdout.split())
        customers = re.search(r"customers (\d+), journeys done (\d+), .*?requests (\d+)", text)
        assert customers, text
        assert int(customers[1]) == int(customers[2]) > 0  # every journey, none cut short
        assert int(customers[3]) > int(customers[1])
        assert "discrepancies: 0" in text
        assert token not in replayed.stdout + replayed.stderr
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
