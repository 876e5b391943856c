"""The Locust user that replays journeys: one per worker process, an open arrival model inside.

Import this module only in a process that runs Locust: importing Locust patches the standard
library for gevent. ``omnicanal replay`` runs it headless with a local runner; the
``locustfile.py`` beside it runs it under Locust's own command line, web UI and master/worker
mode. Either way a :class:`ReplayJob` on the environment says what to replay: the journeys of
this worker's shard (customer id modulo the number of workers), so that one customer's steps
never cross workers, and every customer is replayed exactly once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import gevent
from gevent.event import Event as Flag
from gevent.pool import Pool
from locust import FastHttpUser, task
from locust.env import Environment
from locust.exception import StopUser

from loadtests.adapters.base import Adapter, Answer, Request
from loadtests.journeys import Scheduled
from loadtests.replay import Recorder, dispatch, play_journey

REPORT_KEY = "omnicanal"


class GeventClock:
    """Wall time for the replay, sleeping cooperatively."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        gevent.sleep(seconds)


@dataclass
class ReplayJob:
    """What one worker replays, and where it records."""

    items: list[Scheduled]
    adapter: Adapter
    max_in_flight: int = 1000
    run_time: float | None = None
    recorder: Recorder = field(default_factory=Recorder)
    finished: Flag = field(default_factory=Flag)
    pool: Pool | None = None
    claimed: bool = False
    started: int = 0
    stop_flag: bool = False
    error: str = ""
    ready: Flag = field(default_factory=Flag)
    """Set once the target is prepared; a worker waits for the master to say so."""

    def stopping(self) -> bool:
        """True once the run time is up: journeys send no further step."""
        return self.stop_flag


class JourneyUser(FastHttpUser):
    """Replays the environment's :class:`ReplayJob`; extra users on the same worker stop."""

    concurrency = 1000
    network_timeout = 60.0
    connection_timeout = 10.0

    def __init__(self, environment: Environment) -> None:
        job: ReplayJob = environment.omnicanal_job  # type: ignore[attr-defined]
        self.concurrency = max(1, job.max_in_flight)
        super().__init__(environment)
        self.job = job

    @task
    def replay(self) -> None:
        job = self.job
        if job.claimed:  # one dispatcher per worker: more users would replay customers twice
            raise StopUser
        job.claimed = True
        try:
            self._replay(job)
        except Exception as error:
            job.error = f"{type(error).__name__}: {error}"
            raise
        finally:
            job.finished.set()
        raise StopUser

    def _replay(self, job: ReplayJob) -> None:
        job.ready.wait()
        job.pool = Pool(max(1, job.max_in_flight))
        clock = GeventClock()
        origin = clock.now()
        until = origin + job.run_time if job.run_time is not None else None

        def play(item: Scheduled) -> None:
            try:
                play_journey(
                    item, origin, job.adapter, self.send, clock, job.recorder, job.stopping
                )
            except Exception as error:  # a bug, not the target's fault: stop the run loudly
                job.error = job.error or f"customer {item.journey.customer}: {error!r}"
                job.stop_flag = True
                raise

        def spawn(item: Scheduled) -> None:
            assert job.pool is not None
            if not job.stop_flag:
                job.pool.spawn(play, item)

        job.started = dispatch(job.items, origin, clock, spawn, until=until)
        if until is not None:  # journeys still running at the deadline send no further step
            job.pool.join(timeout=max(0.0, until - clock.now()))
            job.stop_flag = True
        job.pool.join()

    def send(self, request: Request) -> Answer:
        """One request through Locust's client: it shows in Locust's own statistics under the
        step's name; a refusal (4xx) counts there as a success, since the target answered."""
        with self.client.request(
            request.method,
            request.path,
            name=request.name,
            json=request.json,
            headers=dict(request.headers),
            catch_response=True,
        ) as response:
            status = int(response.status_code or 0)
            failed = response.request_meta.get("exception") if status == 0 else None
            error = f"{type(failed).__name__}: {failed}" if failed else ""
            if status == 0 or status >= 500:
                response.failure(error or f"status {status}")
            else:
                response.success()
            headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
            raw = response.content or b""
        return Answer(status, None, headers, error, raw=raw)


def install_reporting(environment: Environment, master: Recorder | None = None) -> None:
    """In master/worker mode, workers send what they recorded with every report and the
    master adds it to ``master``."""

    def _send(client_id: str, data: dict[str, Any]) -> None:
        job: ReplayJob | None = getattr(environment, "omnicanal_job", None)
        if job is not None:
            data[REPORT_KEY] = job.recorder.take()

    environment.events.report_to_master.add_listener(_send)  # type: ignore[no-untyped-call]

    if master is not None:

        def _receive(client_id: str, data: dict[str, Any]) -> None:
            if REPORT_KEY in data:
                master.absorb(data[REPORT_KEY])

        environment.events.worker_report.add_listener(_receive)  # type: ignore[no-untyped-call]
