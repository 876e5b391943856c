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
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import gevent
from gevent.event import Event as Flag
from gevent.pool import Group
from gevent.timeout import Timeout
from geventhttpclient.header import Headers
from locust import FastHttpUser, task
from locust.env import Environment
from locust.exception import StopUser

from loadtests.adapters.base import Adapter, Answer, Request
from loadtests.journeys import Scheduled
from loadtests.replay import GRACE, JourneyPlayer, Recorder, Starter, dispatch

REPORT_KEY = "omnicanal"


class GeventClock:
    """Wall time for the replay, sleeping cooperatively."""

    now = staticmethod(time.monotonic)  # no Python frame: it is called three times a request

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
    pool: Group | None = None
    claimed: bool = False
    started: int = 0
    stop_flag: bool = False
    error: str = ""
    ready: Flag = field(default_factory=Flag)
    """Set once the target is prepared; a worker waits for the master to say so."""
    deadline: float | None = None
    """When the run time is up (``time.monotonic()``), once the replay has started."""

    player: JourneyPlayer | None = None

    def stop(self) -> None:
        """Stop the run early: journeys send no further step, none is started."""
        self.stop_flag = True
        if self.player is not None:
            self.player.halt()


class _Headers(Mapping[str, str]):
    """An answer's headers by lower-case name, read from the client's own headers on demand
    (most answers' headers are never read, so none is copied)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Headers) -> None:
        self._raw = raw

    def __getitem__(self, name: str) -> str:
        value = self._raw[name]
        return value if isinstance(value, str) else ", ".join(value)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.keys(self._raw))  # its keys are the lower-case names

    def __len__(self) -> int:
        return dict.__len__(self._raw)

    def get_list(self, name: str) -> list[str]:
        """Every value of a header sent several times (Set-Cookie), as httpx's headers do."""
        try:
            value = self._raw[name]
        except KeyError:
            return []
        return [value] if isinstance(value, str) else list(value)


_JOBS: weakref.WeakKeyDictionary[Environment, ReplayJob] = weakref.WeakKeyDictionary()
"""Each Locust environment's job (an attribute set on Locust's own object would be a patch)."""


def attach(environment: Environment, job: ReplayJob) -> None:
    """Give ``environment`` the job its :class:`JourneyUser` replays."""
    _JOBS[environment] = job


def job_of(environment: Environment) -> ReplayJob | None:
    """The job attached to ``environment``, if any."""
    return _JOBS.get(environment)


class JourneyUser(FastHttpUser):
    """Replays the environment's :class:`ReplayJob`; extra users on the same worker stop."""

    concurrency = 1000
    network_timeout = 60.0
    connection_timeout = 10.0

    def __init__(self, environment: Environment) -> None:
        job = job_of(environment)
        if job is None:
            raise RuntimeError("JourneyUser: no ReplayJob attached to the environment (attach)")
        self.concurrency = max(1, job.max_in_flight)
        super().__init__(environment)
        # Every answer below 500 is the target's answer (a refusal is one): no status error,
        # so Locust counts it a success and the answer needs no catch_response wrapper.
        self.client.client.valid_response_codes = _ANSWERED  # type: ignore[misc]
        # No cookie jar shared by every journey of this worker: a mapping with cookies keeps
        # one per journey (loadtests.adapters.base.JourneyState.cookies).
        self.client.client.cookiejar = None
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
        job.pool = group = Group()
        clock = GeventClock()
        recorder = job.recorder
        origin = clock.now()
        deadline = job.deadline = origin + job.run_time if job.run_time is not None else None

        send = self._send if deadline is None else self._send_by_deadline
        player = job.player = JourneyPlayer(origin, job.adapter, send, clock, recorder,
                                            deadline=deadline)  # fmt: skip
        if job.stop_flag:  # stopped before it began
            player.halt()

        def failed(item: Scheduled, error: Exception) -> None:
            # a bug, not the target's fault: stop the run loudly
            job.error = job.error or f"customer {item.journey.customer}: {error!r}"
            job.stop()

        starter = Starter(max(1, job.max_in_flight), player.play, group.spawn, failed)
        job.started = dispatch(
            job.items, origin, clock, starter.start, until=deadline, not_started=recorder.not_run
        )
        if deadline is None:
            group.join()
        else:  # requests in flight answer or time out by deadline + GRACE; kill what is left
            group.join(timeout=max(0.0, deadline + GRACE + 0.5 - clock.now()))
            group.kill(timeout=1.0)
        for item in starter.backlog:  # after a bug or a kill: no task was left to run them
            recorder.not_run(item)
        starter.backlog.clear()

    def send(self, request: Request) -> Answer:
        """One request through Locust's client: it shows in Locust's own statistics under the
        step's name; a refusal (4xx) counts there as a success, since the target answered.
        Near the run time's end a request waits for its answer until ``deadline + GRACE``
        at most."""
        if self.job.deadline is None:
            return self._send(request)
        return self._send_by_deadline(request)

    def _send_by_deadline(self, request: Request) -> Answer:
        left = self.job.deadline + GRACE - time.monotonic()  # type: ignore[operator]
        if left < self.network_timeout:
            return self._send_by(request, max(left, 0.001))
        return self._send(request)

    def _send(self, request: Request) -> Answer:
        response = self.client.request(
            request.method,
            request.path,
            name=request.name,
            json=request.json,
            headers=request.headers or None,  # type: ignore[arg-type]
        )
        status = response.status_code or 0
        error = ""
        if status == 0:
            failed = getattr(response, "error", None)
            error = f"{type(failed).__name__}: {failed}" if failed else "no answer"
        raw = response.headers
        headers = _Headers(raw) if raw is not None else None
        return Answer(status, None, headers, error, raw=response.content or b"")

    def _send_by(self, request: Request, seconds: float) -> Answer:
        timer = Timeout(seconds)
        timer.start()
        try:
            answer = self._send(request)
        except Timeout as fired:  # outside the client's own catch (it turns one into status 0)
            if fired is not timer:
                raise
            answer = Answer(0)
        finally:
            timer.close()
        if answer.status == 0 and time.monotonic() >= self.job.deadline + GRACE:  # type: ignore[operator]
            answer.error = f"no answer by the run time's end (+{GRACE:g} s)"
        return answer


_ANSWERED = frozenset(range(100, 500))


def install_reporting(environment: Environment, master: Recorder | None = None) -> None:
    """In master/worker mode, workers send what they recorded with every report and the
    master adds it to ``master``."""

    def _send(client_id: str, data: dict[str, Any]) -> None:
        job = job_of(environment)
        if job is not None:
            data[REPORT_KEY] = job.recorder.take()

    environment.events.report_to_master.add_listener(_send)  # type: ignore[no-untyped-call]

    if master is not None:

        def _receive(client_id: str, data: dict[str, Any]) -> None:
            if REPORT_KEY in data:
                master.absorb(data[REPORT_KEY])

        environment.events.worker_report.add_listener(_receive)  # type: ignore[no-untyped-call]
