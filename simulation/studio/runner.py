"""The child process of a studio job: reads its spec (one JSON line on stdin), calls the
experiment API as the command line does, and reports on stdout, one JSON line each:
``{"done": n}`` per finished replication, then ``{"folder": path}`` or ``{"error": ...}``.

    python -m simulation.studio.runner < spec.json

It stops itself when the studio that started it is gone (its parent changed), so even a
studio killed with SIGKILL leaves no run behind for long.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from simulation.errors import InputError, OmnicanalError


def say(**message: Any) -> None:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()


def run(spec: dict[str, Any]) -> Path | None:
    """The spec's run, comparison or sweep; its results folder."""
    from simulation import api, studies

    out = Path(spec.get("out", "results"))
    seed = spec.get("seed")
    if spec["kind"] == "run":
        done = api.run(
            spec["scenario"], seed=seed, replications=int(spec["replications"]),
            overrides=spec.get("overrides") or {}, out=out, workers=spec.get("workers"),
            progress=lambda n: say(done=n),
        )  # fmt: skip
        return done.folder
    ticks = [0]

    def tick(_: str) -> None:
        ticks[0] += 1
        say(done=ticks[0])

    if spec["kind"] == "sweep":
        base = api.scenario_of(spec["scenario"], spec.get("overrides"))
        swept = studies.sweep(
            base, spec["grid"], replications=int(spec["replications"]), seed=seed, out=out,
            run=studies.Execution(workers=spec.get("workers")), tick=tick,
        )  # fmt: skip
        return swept.folder
    scenarios = [api.scenario_of(s["scenario"], s.get("overrides")) for s in spec["scenarios"]]

    compared = studies.compare(
        scenarios, replications=int(spec["replications"]), seed=seed, out=out,
        run=studies.Execution(workers=spec.get("workers")), tick=tick,
    )  # fmt: skip
    return compared.folder


def _watch_parent() -> None:
    parent = os.getppid()
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os.killpg(os.getpgrp(), signal.SIGTERM)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    threading.Thread(target=_watch_parent, daemon=True).start()
    spec = json.loads(sys.stdin.readline())
    try:
        folder = run(spec)
    except InputError as e:
        say(error=f"{e.field}: expected {e.expected}, got {e.given!r}", field=e.field)
        return 2
    except OmnicanalError as e:
        say(error=str(e))
        return 1
    say(folder=folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
