"""A mapping file drives a shop that looks nothing like the reference API, over real HTTP
through Locust: a session per journey from a login's response header, a cookie jar per
journey, baskets named by absolute URLs captured from answers, a step of two requests."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI, Request, Response
from typer.testing import CliRunner

from loadtests.journeys import journeys
from simulation.cli import app as cli
from simulation.commandlog import read_command_table
from tests.loadtests.loopback import serving

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

MAPPING = """version = 2
name = "session shop"
auth = "customer"
cookies = true
unlisted = "unsupported"

[profiles.customer]
scope = "journey"
login = { path = "/sessions", capture = { session = "header:X-Session" } }
headers = { X-Session = "${session}" }

[prepare]
[[prepare.requests]]
path = "/reset"
auth = "none"
body = { stock = "${initial}" }

[steps.browse]
method = "GET"
path = "/catalogue"
auth = "none"

[steps.open_cart]
path = "/baskets"
body = { channel = "${channel}" }
capture = { "basket[cart]" = { path = "url", id = "cart" } }

[steps.add_to_cart]
[[steps.add_to_cart.requests]]
path = "${basket[cart]}lines"
body = { sku = "${sku}", quantity = "${qty}" }
[[steps.add_to_cart.requests]]
name = "add_to_cart: read back"
method = "GET"
path = "${basket[cart]}"
capture = { "line[sku]" = "lines[sku=${sku}].quantity" }
"""


class SessionShop:
    """Sessions from POST /sessions (an X-Session header and a cookie); baskets only for the
    session that made them, and only with that session's cookie: anything else is a 403."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.sessions: dict[str, str] = {}  # session -> its cookie
        self.baskets: dict[int, dict[str, Any]] = {}
        self.forbidden = 0
        self.reset_with: list[dict[str, Any]] = []

    def app(self) -> FastAPI:
        app = FastAPI()
        app.post("/reset")(self.reset)
        app.get("/catalogue")(lambda: {"items": []})
        app.post("/sessions")(self.login)
        app.post("/baskets")(self.open)
        app.post("/baskets/{basket}/lines")(self.add)
        app.get("/baskets/{basket}/")(self.read)
        return app

    async def reset(self, request: Request) -> dict[str, int]:
        self.reset_with = (await request.json())["stock"]
        return {"rows": len(self.reset_with)}

    def login(self, response: Response) -> dict[str, str]:
        with self.lock:
            n = next(self.ids)
            self.sessions[f"s{n}"] = f"c{n}"
        response.headers["X-Session"] = f"s{n}"
        response.set_cookie("jar", f"c{n}")
        return {}

    def _who(self, request: Request) -> str | None:
        session = request.headers.get("x-session", "")
        if self.sessions.get(session) != request.cookies.get("jar"):
            self.forbidden += 1
            return None
        return session

    def open(self, request: Request, response: Response) -> dict[str, str]:
        session = self._who(request)
        if session is None:
            response.status_code = 403
            return {}
        with self.lock:
            n = next(self.ids)
            self.baskets[n] = {"owner": session, "lines": []}
        response.status_code = 201
        return {"url": f"{str(request.base_url).rstrip('/')}/baskets/{n}/"}

    async def add(self, basket: int, request: Request, response: Response) -> dict[str, Any]:
        session = self._who(request)
        if session is None or self.baskets[basket]["owner"] != session:
            response.status_code = 403
            return {}
        line = await request.json()
        if not isinstance(line["quantity"], int):
            response.status_code = 422
            return {}
        self.baskets[basket]["lines"].append(line)
        return {}

    def read(self, basket: int, request: Request, response: Response) -> dict[str, Any]:
        session = self._who(request)
        if session is None or self.baskets[basket]["owner"] != session:
            response.status_code = 403
            return {}
        return {"lines": self.baskets[basket]["lines"]}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mapped")
    (folder / "small.toml").write_text(
        f'extends = "{SCENARIOS / "baseline.toml"}"\nhorizon_days = 1\nwarmup_days = 0\n'
        "[arrivals]\nper_hour = 6\n[catalogue.generate]\ncount = 10\n"
    )
    result = CliRunner().invoke(cli, ["run", str(folder / "small.toml"), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    (made,) = folder.glob("small-*")
    return made


def test_a_session_and_a_cookie_jar_per_journey_and_captured_urls(
    run: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "shop.toml"
    mapping.write_text(MAPPING)
    shop = SessionShop()
    with serving(shop.app()) as base:
        command = [
            sys.executable, "-m", "simulation.cli", "replay", str(run), "--target", base,
            "--speedup", "20000", "--adapter", str(mapping), "--out", str(tmp_path),
        ]  # fmt: skip
        result = subprocess.run(command, env=dict(os.environ), capture_output=True, text=True,
                                timeout=180, check=False)  # fmt: skip
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("wrote ")]
    folder = Path(line.removeprefix("wrote "))
    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    carts = outcomes[outcomes["step"].isin(["open_cart", "add_to_cart"])]
    assert len(carts) > 0
    assert set(carts["result"]) == {"ok"}, carts[carts["result"] != "ok"][["step", "detail"]]
    assert shop.forbidden == 0  # no journey ever sent another's session or cookie
    found = journeys(read_command_table(run / "commands.parquet"))
    shopping = [j for j in found if any(s.kind in ("open_cart", "add_to_cart") for s in j.steps)]
    assert len(shop.sessions) == len(shopping)  # one login per journey that needs one
    added = sum(len(b["lines"]) for b in shop.baskets.values())
    assert added == (carts["step"] == "add_to_cart").sum()
    assert len(shop.reset_with) > 0  # prepare sent the initial stock
    locust = pd.read_csv(folder / "locust_stats.csv").set_index("name")
    assert locust.loc["login: customer", "requests"] == len(shopping)
    assert locust.loc["add_to_cart: read back", "requests"] == added
    unsupported = outcomes[~outcomes["step"].isin(["open_cart", "add_to_cart"])]
    assert set(unsupported["result"]) <= {"skipped", "diverged"}
