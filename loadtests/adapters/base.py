"""What an adapter is: the only place that knows a target API's URLs, payloads and ids.

The replay hands an adapter each step of a journey, with the journey's state
(:class:`JourneyState`: what the target gave so far), and gets back the request to send (or
None when the target has no such step: it is skipped and counted), then asks what the answer
means (:meth:`Adapter.classify`: one of the result names below, and the simulation's rule a
refusal stands for). An adapter may instead send a step itself (:meth:`Adapter.perform`:
several requests, captures), as the TOML mapping adapter does. Before the run it prepares the
target where it can, and after the run it reads the target's final state for the
reconciliation. Subclass :class:`Adapter` for a target a TOML mapping cannot describe.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from loadtests.journeys import Step
from simulation.errors import OmnicanalError


class ReplayRefused(OmnicanalError):
    """The target is not in a state the replay can start from (or cannot be read): exit 3."""

    exit_code = 3


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request: ``name`` groups it in the statistics (the step's kind)."""

    name: str
    method: str
    path: str
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class Answer:
    """The target's answer: status (0 when no answer came), JSON body (parsed when first
    asked for: most answers are never read), headers with lower-case names, and what went
    wrong when there was no answer."""

    __slots__ = ("_body", "_raw", "error", "headers", "status")

    def __init__(
        self,
        status: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        error: str = "",
        *,
        raw: bytes | None = None,
    ) -> None:
        self.status, self.error = status, error
        self.headers: Mapping[str, str] = headers or {}
        self._body, self._raw = body, raw

    @property
    def body(self) -> Any:
        if self._raw is not None:
            try:
                self._body = json.loads(self._raw) if self._raw else None
            except ValueError:
                self._body = None
            self._raw = None
        return self._body


class JourneyState:
    """What one journey has learnt from the target so far.

    ``vars``: the journey variables a mapping's captures filled (``basket_url``, or a table of
    them such as ``line[sku]``); ``known``: the target's id of each cart and order, per kind,
    by the simulation's id (:meth:`of`, :meth:`learn`); ``cookies``: the journey's own cookie
    jar (never shared with another journey); ``failed``: the variables whose capture found
    nothing, each with where; ``diverged``: why the journey no longer follows the
    simulation's ("" while it does); ``logins``: the auth profiles it has logged in with;
    ``customer``: whose journey it is.
    The simulation's ids are never overwritten: they stay in each step's data.
    """

    __slots__ = ("cookies", "customer", "diverged", "failed", "known", "logins", "vars")

    def __init__(self, customer: int | None = None) -> None:
        self.customer = customer
        self.known: dict[str, dict[int, Any]] = {}
        self.vars: dict[str, Any] = {}
        self.cookies: dict[str, str] = {}
        self.failed: dict[str, str] = {}
        self.diverged = ""
        self.logins: set[str] = set()

    def of(self, kind: str, sim_id: int) -> Any:
        """The target's id of the simulation's ``kind`` ``sim_id`` (itself when not learnt)."""
        return self.known.get(kind, {}).get(sim_id, sim_id)

    def learn(self, kind: str, sim_id: int, target_id: Any) -> None:
        self.known.setdefault(kind, {})[sim_id] = target_id


Ids = JourneyState
"""The name the state had when it held only ids (kept for adapters written against it)."""


@dataclass(frozen=True, slots=True)
class TargetState:
    """What the target says it holds after the run.

    ``stock``: (location, sku) -> (on hand, reserved); ``orders``: the simulation's order id ->
    {"paid", "refunded", "cancelled", "legs": {location: status}}. Either may be None when the
    target cannot tell.
    """

    stock: dict[tuple[str, str], tuple[int, int]] | None
    orders: dict[int, dict[str, Any]] | None = None


OK, REFUSED, ERROR, SKIPPED = "ok", "refused", "error", "skipped"
PARTIAL = "partial"
"""Partly accepted: the target did what it could and reported the rest (e.g. added 2 of 3)."""
NOT_FOUND = "not_found"
"""The target does not know what the step names (a 404, or its not-found error)."""
UNAUTHORISED = "unauthorised"
"""The target refused who asked (401, 403, 406 or its auth error), not what was asked."""
IMPLICIT = "implicit"
"""The mapping declares the target does this step by itself (e.g. holds expire): not sent."""
DIVERGED = "diverged"
"""Not sent: an earlier step of the journey failed or a capture found nothing, so the journey
no longer follows the simulation's (its steps are consequences, not findings)."""
ANSWERED = (OK, PARTIAL, REFUSED, NOT_FOUND, UNAUTHORISED)
"""Results that are the target's answer to what was asked (ERROR is no usable answer)."""


@dataclass(frozen=True, slots=True)
class Classified:
    """What an answer means: its result (one of the names above) and, for a refusal, the
    simulation's rule it stands for (``stock.insufficient``) when the target's code maps to one,
    with the target's own words in ``detail``."""

    result: str
    rule: str | None = None
    detail: str = ""


NOT_SENT = frozenset({SKIPPED, IMPLICIT, DIVERGED})
"""Results of a step that was not sent (counted, not measured), unless it has an answer."""
_PLAIN = {r: Classified(r) for r in (OK, REFUSED, ERROR, PARTIAL, NOT_FOUND, UNAUTHORISED)}
_OK, _REFUSED, _ERROR = _PLAIN[OK], _PLAIN[REFUSED], _PLAIN[ERROR]

Send = Callable[[Request], Answer]


class Adapter(ABC):
    """A target API, as the replay sees it."""

    name = "adapter"
    target: str | None = None
    """The target's base URL, once the replay knows it (captured URLs must be on its host)."""

    def __init__(self, token: str | None = None) -> None:
        self._token = token

    @property
    def auth(self) -> dict[str, str]:
        """Headers that carry the token; never logged or written to a report."""
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    @abstractmethod
    def request(self, step: Step, ids: JourneyState) -> Request | None:
        """The request for ``step``, or None when the target has no such step."""

    def learn(self, step: Step, answer: Answer, ids: JourneyState) -> None:  # noqa: B027
        """Read the ids the target gave from a successful answer (nothing by default)."""

    def perform(
        self, step: Step, state: JourneyState, send: Send
    ) -> tuple[Answer | None, Classified]:
        """Send ``step`` (one request or several, through ``send``) and say what the answer
        means; an Answer of None means nothing was sent (SKIPPED, IMPLICIT or DIVERGED, with
        why in ``detail``). By default: :meth:`request`, ``send``, :meth:`classify`, and
        :meth:`learn` from an ok answer. The replay calls this only for an adapter that
        overrides it; for the others it does the same inline (fewer calls per request)."""
        request = self.request(step, state)
        if request is None:
            return None, Classified(SKIPPED, detail="the adapter has no request for this step")
        answer = send(request)
        classified = self.classify(step, answer)
        if classified.result == OK:
            self.learn(step, answer, state)
        return answer, classified

    def outcome(self, answer: Answer) -> str:
        """ok for 2xx, refused for a 4xx (a rule said no), error for anything else."""
        if 200 <= answer.status < 300:
            return OK
        if 400 <= answer.status < 500 and answer.status not in (401, 403, 408, 429):
            return REFUSED
        return ERROR

    def classify(self, step: Step, answer: Answer) -> Classified:
        """What ``answer`` to ``step`` means: by default :meth:`outcome` of its status (written
        out here, without the call, for the replay's hot loop; a subclass that overrides
        :meth:`outcome` alone gets :meth:`classify_by_outcome` instead)."""
        status = answer.status
        if 200 <= status < 300:
            return _OK
        if 400 <= status < 500 and status not in (401, 403, 408, 429):
            return _REFUSED
        return _ERROR

    def classify_by_outcome(self, step: Step, answer: Answer) -> Classified:
        """:meth:`outcome`'s result as a :class:`Classified`."""
        result = self.outcome(answer)
        return _PLAIN.get(result) or Classified(result)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "outcome" in vars(cls) and "classify" not in vars(cls):
            cls.classify = Adapter.classify_by_outcome  # type: ignore[method-assign]

    def order_key(self, answer: Answer) -> float | None:
        """Where the target decided this write among the others, if it says (None: unknown)."""
        return None

    def connect(self, http: httpx.Client) -> None:  # noqa: B027
        """Log in and read what the run needs, changing nothing on the target (each Locust
        worker does this; :meth:`prepare`, on the master, does it too). Nothing by default."""

    @abstractmethod
    def prepare(self, http: httpx.Client, initial: Mapping[tuple[str, str], int]) -> None:
        """Put the target at the run's initial stock, or raise :class:`ReplayRefused`."""

    @abstractmethod
    def final_state(self, http: httpx.Client) -> TargetState:
        """The target's stock and orders after the run."""


def check_stock(
    found: Mapping[tuple[str, str], int], initial: Mapping[tuple[str, str], int]
) -> None:
    """Refuse to start when the target's stock differs from the scenario's initial stock."""
    wrong = [
        f"{loc}/{sku}: expected {qty}, found {found.get((loc, sku), 0)}"
        for (loc, sku), qty in sorted(initial.items())
        if found.get((loc, sku), 0) != qty
    ]
    if wrong:
        shown = "; ".join(wrong[:5]) + (f"; and {len(wrong) - 5} more" if len(wrong) > 5 else "")
        raise ReplayRefused(
            f"the target's stock differs from the scenario's initial stock in {len(wrong)} "
            f"(location, sku): {shown}. Reset the target, or use an adapter that can."
        )
