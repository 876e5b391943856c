"""Replay user throughput and schedule lag, against a trivial loopback endpoint.

1. Requests per second of the replay's JourneyUser (open arrivals, one request per journey,
   far more offered than the client can send, 10 journeys in flight) side by side with a bare
   Locust FastHttpUser (10 users in a closed loop) hammering the same endpoint: the two take
   turns in one process, ``--repeats`` rounds of each, in the order ABBA so that a drift of
   the machine falls on both. Both are counted the same way, by Locust's own statistics over
   the same window after a warm-up, and each is also given as CPU time per request.
2. Schedule lag p99 (and latency p99 from the intended send time) when the replay offers
   200, 500 and 1,000 requests per second.

The endpoint is a minimal asyncio HTTP server in a child process, so the server is never
what is measured. Run: ``.venv/bin/python benchmarks/replay_throughput.py [--small]``;
``--step pay`` replays writes (a payment per journey, each answer classified, judged against
the simulation's outcome and kept in the ledger) instead of reads.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import sys
import time
from pathlib import Path

from locust.env import Environment  # first: Locust patches the standard library for gevent

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gevent  # noqa: E402
from locust import FastHttpUser, constant, task  # noqa: E402

from loadtests.adapters.base import Adapter, Ids, Request, TargetState  # noqa: E402
from loadtests.journeys import Journey, Scheduled, Step  # noqa: E402
from loadtests.users import JourneyUser, ReplayJob, attach  # noqa: E402

_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
WARM_UP = 1.0
"""Seconds each side runs before its window opens (connections made, greenlets spawned)."""


def _serve(port: int) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                writer.write(_ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Ping(Adapter):
    """A trivial endpoint: a GET of ``/`` for every step, the same (immutable) request for
    every step of a kind, as an adapter of a constant endpoint would give (building a
    ``Request`` per step costs about 0.7 us more: see benchmarks/README.md)."""

    name = "ping"

    def __init__(self) -> None:
        super().__init__()
        self._requests: dict[str, Request] = {}

    def request(self, step: Step, ids: Ids) -> Request | None:
        request = self._requests.get(step.kind)
        if request is None:
            request = self._requests[step.kind] = Request(step.kind, "GET", "/")
        return request

    def prepare(self, http: object, initial: object) -> None:
        return None

    def final_state(self, http: object) -> TargetState:
        return TargetState(None)


STEP = "browse"
"""The kind of every journey's one step (``--step``)."""


def _journeys(count: int, rate: float) -> list[Scheduled]:
    data: dict[str, object] = {} if STEP == "browse" else {"order": 1, "amount": 1.0}
    return [Scheduled(Journey(i, (Step(STEP, i / rate, data),)), (i / rate,)) for i in range(count)]


def replay(host: str, count: int, rate: float, in_flight: int) -> tuple[float, ReplayJob]:
    """The whole schedule, to its end: wall seconds and the job."""
    env = Environment(user_classes=[JourneyUser], host=host)
    job = ReplayJob(_journeys(count, rate), Ping(), in_flight)
    job.ready.set()
    attach(env, job)
    runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(1, spawn_rate=1)
    job.finished.wait()
    wall = time.monotonic() - started
    runner.quit()
    return wall, job


def _window(env: Environment, seconds: float) -> tuple[float, float]:
    """Requests/s and CPU microseconds per request over ``seconds`` after the warm-up."""
    gevent.sleep(WARM_UP)
    env.stats.reset_all()
    started, cpu = time.monotonic(), time.process_time()
    gevent.sleep(seconds)
    done = env.stats.total.num_requests
    wall, used = time.monotonic() - started, time.process_time() - cpu
    return done / wall, used / max(1, done) * 1e6


def saturated_replay(host: str, seconds: float, in_flight: int) -> tuple[float, float]:
    """The replay with every journey due at once, far more than it can send in the window."""
    count = int(20_000 * (WARM_UP + seconds))
    env = Environment(user_classes=[JourneyUser], host=host)
    job = ReplayJob(_journeys(count, rate=1e9), Ping(), in_flight)
    job.ready.set()
    attach(env, job)
    runner = env.create_local_runner()
    runner.start(1, spawn_rate=1)
    rate, cpu = _window(env, seconds)
    if job.finished.is_set():
        raise RuntimeError(f"the replay ran out of its {count} journeys inside the window")
    job.stop()  # the journeys still to start are not sent
    job.finished.wait()
    runner.quit()
    return rate, cpu


class Bare(FastHttpUser):
    wait_time = constant(0)

    @task
    def ping(self) -> None:
        self.client.get("/")


def bare(host: str, seconds: float, users: int) -> tuple[float, float]:
    env = Environment(user_classes=[Bare], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    rate, cpu = _window(env, seconds)
    runner.quit()
    return rate, cpu


def side_by_side(host: str, seconds: float, repeats: int, concurrency: int) -> None:
    ratios = []
    for i in range(repeats):
        order = ("bare", "replay") if i % 2 == 0 else ("replay", "bare")
        got = {}
        for side in order:
            if side == "bare":
                got[side] = bare(host, seconds, concurrency)
            else:
                got[side] = saturated_replay(host, seconds, concurrency)
        (b_rate, b_cpu), (r_rate, r_cpu) = got["bare"], got["replay"]
        ratios.append(r_rate / b_rate)
        print(
            f"round {i + 1} ({order[0]} first): bare {b_rate:,.0f} req/s ({b_cpu:.0f} us CPU "
            f"each), replay {r_rate:,.0f} req/s ({r_cpu:.0f} us CPU each): ratio "
            f"{ratios[-1]:.3f}, CPU per request {b_cpu / r_cpu:.3f}"
        )
    print(
        f"replay / bare req/s over {repeats} rounds of {seconds:g} s, {concurrency} in flight: "
        f"median {statistics.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}"
    )


def lag(host: str, seconds: float) -> None:
    for rate in (200, 500, 1000):
        count = int(rate * seconds)
        wall, job = replay(host, count, rate=rate, in_flight=1000)
        late, intended = job.recorder.total("lag"), job.recorder.total("intended")
        print(
            f"offered {rate:>5} req/s: achieved {count / wall:,.0f} req/s, schedule lag "
            f"p50 {late.percentile(50) * 1000:.2f} ms, p99 {late.percentile(99) * 1000:.2f} ms, "
            f"latency from intended p99 {intended.percentile(99) * 1000:.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a reduced size, for make bench")
    parser.add_argument("--repeats", type=int, default=6, help="rounds of each user (ABBA)")
    parser.add_argument("--seconds", type=float, default=None, help="window of each round")
    parser.add_argument("--no-lag", action="store_true", help="only the side-by-side rounds")
    parser.add_argument(
        "--step", choices=["browse", "pay"], default="browse", help="a read or a write per journey"
    )
    args = parser.parse_args()
    global STEP  # noqa: PLW0603 - one setting for the whole benchmark process
    STEP = args.step
    seconds = args.seconds or (2.0 if args.small else 5.0)
    repeats = 2 if args.small else args.repeats
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    time.sleep(1.0)
    host = f"http://127.0.0.1:{port}"
    try:
        side_by_side(host, seconds, repeats, concurrency=10)
        if not args.no_lag:
            lag(host, 2.0 if args.small else 10.0)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
