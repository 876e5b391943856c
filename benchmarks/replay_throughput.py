"""Replay user throughput and schedule lag, against a trivial loopback endpoint.

1. Requests per second of the replay's JourneyUser (open arrivals, one request per journey,
   far more offered than the client can send) side by side with a bare Locust FastHttpUser
   hammering the same endpoint in a closed loop, in the same process, one after the other.
2. Schedule lag p99 (and latency p99 from the intended send time) when the replay offers
   200, 500 and 1,000 requests per second.

The endpoint is a minimal asyncio HTTP server in a child process, so the server is never
what is measured. Run: ``.venv/bin/python benchmarks/replay_throughput.py [--small]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import time
from pathlib import Path

from locust.env import Environment  # first: Locust patches the standard library for gevent

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from locust import FastHttpUser, constant, task  # noqa: E402

from loadtests.adapters.base import Adapter, Ids, Request, TargetState  # noqa: E402
from loadtests.journeys import Journey, Scheduled, Step  # noqa: E402
from loadtests.users import JourneyUser, ReplayJob  # noqa: E402

_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


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
    name = "ping"

    def request(self, step: Step, ids: Ids) -> Request | None:
        return Request(step.kind, "GET", "/")

    def prepare(self, http: object, initial: object) -> None:
        return None

    def final_state(self, http: object) -> TargetState:
        return TargetState(None)


def _journeys(count: int, rate: float) -> list[Scheduled]:
    return [
        Scheduled(Journey(i, (Step("browse", i / rate, {}),)), (i / rate,)) for i in range(count)
    ]


def replay(host: str, count: int, rate: float, in_flight: int) -> tuple[float, ReplayJob]:
    env = Environment(user_classes=[JourneyUser], host=host)
    job = ReplayJob(_journeys(count, rate), Ping(), in_flight)
    job.ready.set()
    env.omnicanal_job = job  # type: ignore[attr-defined]
    runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(1, spawn_rate=1)
    job.finished.wait()
    wall = time.monotonic() - started
    runner.quit()
    return wall, job


class Bare(FastHttpUser):
    wait_time = constant(0)

    @task
    def ping(self) -> None:
        self.client.get("/")


def bare(host: str, users: int, seconds: float) -> float:
    env = Environment(user_classes=[Bare], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    import gevent  # noqa: PLC0415

    gevent.sleep(0.5)  # every user spawned
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(seconds)
    done = env.stats.total.num_requests
    wall = time.monotonic() - started
    runner.quit()
    return done / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a reduced size, for make bench")
    args = parser.parse_args()
    seconds = 2.0 if args.small else 10.0
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    time.sleep(1.0)
    host = f"http://127.0.0.1:{port}"
    try:
        reference = bare(host, 10, seconds)
        count = int(reference * seconds)
        wall, job = replay(host, count, rate=1e9, in_flight=10)  # all due at once: saturate
        mine = job.recorder.total("actual").total / wall
        print(f"bare FastHttpUser (10 users, closed loop): {reference:,.0f} req/s")
        print(f"replay JourneyUser (10 journeys in flight): {mine:,.0f} req/s")
        print(f"ratio {mine / reference:.2f}")
        for rate in (200, 500, 1000):
            count = int(rate * seconds)
            wall, job = replay(host, count, rate=rate, in_flight=1000)
            lag, late = job.recorder.total("lag"), job.recorder.total("intended")
            print(
                f"offered {rate:>5} req/s: achieved {count / wall:,.0f} req/s, schedule lag "
                f"p50 {lag.percentile(50) * 1000:.2f} ms, p99 {lag.percentile(99) * 1000:.2f} ms, "
                f"latency from intended p99 {late.percentile(99) * 1000:.2f} ms"
            )
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
